"""
ik_net_ros: live, learned inverse kinematics for the ROBOTIS OpenMANIPULATOR-X.

from ik_net_ros import load_solver
joints = load_solver('focused').solve(poses)   # (N, 7) -> (N, 4) rad, inside the limits
"""

from ik_net_ros.errors import (
                               CheckpointError,
                               ConfigError,
                               DatasetError,
                               HardwareError,
                               IkNetError,
                               InvalidJointsError,
                               InvalidPoseError,
                               TrainingError,
                               UnreachableError,
)
from ik_net_ros.solver import load_solver, Solver

__version__ = '0.1.0'
__all__ = [
    'load_solver', 'Solver', 'IkNetError', 'InvalidPoseError', 'InvalidJointsError',
    'UnreachableError', 'CheckpointError', 'DatasetError', 'HardwareError', 'ConfigError',
    'TrainingError', '__version__',
]
