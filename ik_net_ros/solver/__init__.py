"""Layer 6: solvers behind one API, :func:`load_solver`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ik_net_ros.engines import ENGINES
from ik_net_ros.errors import ConfigError
from ik_net_ros.kinematics import ArmGeometry, DEFAULT_GEOMETRY, geometry_for
from ik_net_ros.kinematics.arm_bridge import geometry_of
from ik_net_ros.kinematics.calibration_file import load_calibration
from ik_net_ros.model import load_model, MODEL_SUFFIXES, shipped_models
from ik_net_ros.model.device import check_device
from ik_net_ros.solver.analytic import AnalyticSolver
from ik_net_ros.solver.base import Solver
from ik_net_ros.solver.network import NetworkSolver
from ik_net_ros.solver.refine import refine_joints

__all__ = ['Solver', 'AnalyticSolver', 'NetworkSolver', 'load_solver', 'refine_joints',
           'shipped_models']


def load_solver(name: str | Path = 'focused', device: str = 'cpu',
                geometry: ArmGeometry | None = None, description: str | None = None,
                calibration: str | Path | None = None, engine: str = 'auto') -> Solver:
    """
    Return a solver by name.

    Parameters
    ----------
    name
        'analytic' (closed form), 'original' | 'improved' | 'focused' (the shipped models in
        ``models/``), or the path of a checkpoint (.pt) or of its weights file (.npz).
    device
        'cpu', 'cuda', 'cuda:N' or 'auto' (cuda when available). 'analytic' runs on
        the CPU whatever the (valid) device. On 'cpu' a network runs from its torch-free
        weights file (written beside every checkpoint): torch is never imported unless
        engine 'torch' is asked for.
    geometry
        The arm geometry targets are given in (default: the checkpoint's for a
        network, ROBOTIS's humble description for 'analytic'). A network solves for a
        geometry that differs from its checkpoint's only in the base height by translating
        the targets along z (the base height only moves the chain); any other difference is
        a CheckpointError.
    description
        'humble' or 'jazzy': targets in the frame of ROBOTIS's description (joint1
        at z = 0.017 m or 0.0); the base height of ``geometry`` (or of the checkpoint).
    calibration
        A calibration file (``ik_net_ros calibrate``): the geometry of one real arm
        (joint offsets, link lengths). The closed form solves in it exactly; a network's
        answer is refined in it (its training arm was the nominal one).
    engine
        What runs a network's large batches: 'auto' (on the CPU ONNX Runtime where
        installed, else the numpy twin; torch on a GPU), 'numpy', 'onnxruntime' or 'torch'
        (see :class:`~ik_net_ros.solver.network.NetworkSolver`). Single poses and small
        batches on the CPU always run on the numpy twin.

    Raises
    ------
    ConfigError
        Unknown name, device or engine, cuda asked for without a GPU, or
        engine 'onnxruntime' without ONNX Runtime installed.
    CheckpointError
        A checkpoint is missing, corrupt or foreign.
    DatasetError
        An unreadable or malformed calibration file.

    """
    check_device(device)
    if engine not in ENGINES:
        raise ConfigError(f'unknown engine {engine!r}; expected one of {ENGINES}')
    try:
        base_height = None if description is None else geometry_for(description).base_height
    except ValueError as e:
        raise ConfigError(str(e)) from e
    if calibration is not None and str(calibration) != '':
        geometry = geometry_of(load_calibration(calibration))  # bridge
    if str(name) == 'analytic':
        return AnalyticSolver(_targets_geometry(geometry or DEFAULT_GEOMETRY, base_height))
    if str(name) not in shipped_models() and Path(str(name)).suffix not in MODEL_SUFFIXES:
        raise ConfigError(f'unknown solver {str(name)!r}: expected analytic, '
                          f'{", ".join(shipped_models())} or a model path (*.pt, *.npz)')
    model = load_model(name)
    return NetworkSolver(model, engine, device,
                         _targets_geometry(geometry or model.geometry, base_height), str(name))


def _targets_geometry(geometry: ArmGeometry, base_height: float | None) -> ArmGeometry:
    """Return the geometry targets come in: ``geometry`` with the description's base height."""
    return geometry if base_height is None else replace(geometry, base_height=base_height)
