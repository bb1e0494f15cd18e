"""
The driver node's parameters and the backend settings they make.

One table: default, description, rule.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm, default_arm
from ik_net_ros.errors import ConfigError, DatasetError
from ik_net_ros.hardware import BACKENDS, BackendSettings
from ik_net_ros.hardware.dynamixel_config import DynamixelConfig, SETTINGS
from ik_net_ros.hardware.emulator import LEFTOVERS
from ik_net_ros.hardware.gripper_goal import GOAL_TOLERANCE, STALL_TIMEOUT, STALL_VELOCITY
from ik_net_ros.hardware.motion import DEFAULT_ACCELERATION
from ik_net_ros.hardware.trajectory_path import MAX_DURATION
from ik_net_ros.kinematics.calibration_file import load_calibration
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.nodes.arm_params import arm_home, node_arm, speed_within
from ik_net_ros.nodes.params import (
    ARM,
    description_spec,
    EXECUTOR,
    joint_vector,
    number_in,
    one_of,
    PREFIX,
    Spec,
    TABLE_CLEARANCE,
    WORKSPACE,
    workspace_box,
)

__all__ = ['PARAMETERS', 'backend_settings', 'CALIBRATION', 'calibrated_arm']


def _servo_parameter(setting) -> Spec:
    default = setting.default
    return Spec(list(default) if isinstance(default, tuple) else default,
                setting.metadata['description'], setting.metadata['rule'],
                setting.metadata['need'], fixed=True)


def _file_or_empty(value) -> bool:
    return isinstance(value, str)  # the file itself is read (and refused) at start


# the driver's and the collector's: the arm their collision walls check
CALIBRATION = Spec('', "calibration file of this arm (`ik_net_ros calibrate`, the ik node's): "
                       'goals and their paths are checked against the table and the arm itself '
                       'in the geometry it has (joint offsets, link lengths, tilts). Empty: the '
                       'nominal arm', _file_or_empty, "'' or a calibration file", fixed=True)


# the Dynamixel settings as they are declared (description shared with the other nodes)
DYNAMIXEL_PARAMETERS = {s.name: _servo_parameter(s) for s in SETTINGS if s.name != 'description'}
# the default arm's slowest joint (4.8 rad/s on the OM-X); another arm is checked against its own
ARM_SPEED = float(min(default_arm().velocity))
PARAMETERS = {
    'arm': ARM,
    'backend': Spec('sim', 'sim (simulated arm) | dynamixel (servos on port) | emulated (servo '
                           'emulator)', one_of(*BACKENDS), ' | '.join(BACKENDS), fixed=True),
    'description': description_spec('whose gripper range applies (humble -0.010..0.019 m, '
                                    'jazzy -0.011..0.020 m)'),
    'rate': Spec(100.0, 'joint_states rate, Hz', number_in(1.0, 1000.0),
                 'a rate in [1, 1000] Hz', fixed=True),
    'home': Spec([], 'start pose of the simulated or emulated arm, rad, one per joint of the '
                     "arm; empty: the arm's home pose", joint_vector,
                 'one angle per joint of the arm, inside the limits ([]: its home)', fixed=True),
    'max_velocity': Spec(ARM_SPEED, 'rad/s no joint exceeds, on every backend: goals are '
                                    "interpolated at it, and the servos' Profile Velocity is set "
                                    'from it (never above their Velocity Limit)',
                         speed_within(0.0, low_open=True),
                         "a speed in (0, the arm's velocity limit] rad/s "
                         f'({ARM_SPEED:g} on the OpenMANIPULATOR-X)'),
    'max_acceleration': Spec(DEFAULT_ACCELERATION, 'rad/s^2 of the interpolated motion along '
                                                   'its path', number_in(0.0, 1000.0,
                                                                         low_open=True),
                             'an acceleration in (0, 1000] rad/s^2', fixed=True),
    'trajectory_goal_tolerance': Spec(0.02, 'FollowJointTrajectory: rad every joint must end '
                                            "within of the last point, where a goal's "
                                            'goal_tolerance does not say (0: unchecked, '
                                            "JTC's default)", number_in(0.0, 1.0),
                                      'a tolerance in [0, 1] rad', fixed=True),
    'trajectory_goal_time': Spec(1.0, 'FollowJointTrajectory: s after the last point the arm '
                                      'may take to be within the goal tolerance, where a '
                                      "goal's goal_time_tolerance does not say (0: for ever, "
                                      "JTC's default)", number_in(0.0, 60.0),
                                 'a time in [0, 60] s', fixed=True),
    'trajectory_max_duration': Spec(MAX_DURATION, 'FollowJointTrajectory: s, the longest '
                                                  'trajectory accepted (the last '
                                                  "point's time_from_start); longer goals are "
                                                  'refused INVALID_GOAL, so their check stays '
                                                  'short', number_in(0.0, 3600.0, low_open=True),
                                    'a time in (0, 3600] s', fixed=True),
    'table_clearance': TABLE_CLEARANCE,
    'workspace': WORKSPACE,
    'calibration': CALIBRATION,
    **DYNAMIXEL_PARAMETERS,
    'true_arm': Spec('', 'sim backend: a YAML file of the hidden real arm (joint offsets, link '
                         'errors, sag; `ik_net_ros true-arm`) whose true tool '
                         'pose goes out on sim/true_tool_pose for the simulated tracker. Empty: '
                         'the nominal arm', fixed=True),
    'emulator_leftovers': Spec('factory', 'emulated servos start as from the factory or as '
                                          "ROBOTIS's jazzy bringup leaves them",
                               one_of(*LEFTOVERS), ' | '.join(LEFTOVERS), fixed=True),
    'gripper_allow_stalling': Spec(False, 'GripperCommand action: a goal whose fingers stall '
                                          '(an object between them) succeeds (true: grasping) '
                                          "or aborts (false, ROBOTIS's controller default)",
                                   fixed=True),
    'gripper_goal_tolerance': Spec(GOAL_TOLERANCE, 'GripperCommand action: m of '
                                                   'gripper_left_joint from the goal that count '
                                                   'as reached (goal_tolerance of '
                                                   'GripperActionController)',
                                   number_in(0.0, 0.03, low_open=True),
                                   'a distance in (0, 0.03] m', fixed=True),
    'gripper_stall_velocity': Spec(STALL_VELOCITY, 'GripperCommand action: m/s the finger must '
                                                   'move faster than to count as moving '
                                                   '(stall_velocity_threshold)',
                                   number_in(0.0, 0.1, low_open=True),
                                   'a speed in (0, 0.1] m/s', fixed=True),
    'gripper_stall_timeout': Spec(STALL_TIMEOUT, 'GripperCommand action: s without moving, '
                                                 'short of the goal, after which the goal has '
                                                 'stalled (stall_timeout)',
                                  number_in(0.0, 60.0, low_open=True),
                                  'a time in (0, 60] s', fixed=True),
    'autostart': Spec(True, 'configure and activate at start (torque on, holding the pose), '
                            'retrying every reconnect_period until the arm answers; false: '
                            'wait for lifecycle transitions (ros2 lifecycle set)', fixed=True),
    'prefix': PREFIX,
    'executor': EXECUTOR,
}


def backend_settings(value, arm: Arm | None = None) -> BackendSettings:
    """
    Return the backend settings of the node's parameters (``value(name)`` gives one) for ``arm``.

    ``arm``: the node's (None: the one its ``arm`` and ``description`` parameters select).

    Raises
    ------
    ConfigError
        A bad true-arm or calibration file (one of another arm too).

    """
    servo = DynamixelConfig(**{s.name: tuple(value(s.name)) if s.name == 'ids' else value(s.name)
                               for s in SETTINGS})
    true_arm = None
    if value('true_arm'):
        try:
            true_arm = TrueArm.load(value('true_arm'))
        except DatasetError as e:
            raise ConfigError(f"parameter true_arm = {value('true_arm')!r} refused: {e}") from e
    arm = arm if arm is not None else node_arm(value('arm'), value('description'))
    return BackendSettings(backend=value('backend'), home=arm_home(value('home'), arm),
                           max_velocity=value('max_velocity'),
                           max_acceleration=value('max_acceleration'),
                           table_clearance=value('table_clearance'),
                           workspace=workspace_box(value('workspace')), dynamixel=servo,
                           emulator_leftovers=value('emulator_leftovers'), true_arm=true_arm,
                           arm=calibrated_arm(arm, value('calibration')))


def calibrated_arm(arm: Arm, calibration: str) -> Arm:
    """
    Return ``arm`` with the ``calibration`` parameter's errors (:func:`backend_arm_of`).

    The arm the driver's and the collector's collision walls check: the real one.

    Raises
    ------
    ConfigError
        An unreadable or malformed calibration file, or one of another arm, in one line.

    """
    if not calibration:
        return arm
    try:
        return load_calibration(calibration, arm)
    except (DatasetError, ValueError) as e:
        raise ConfigError(f'parameter calibration = {calibration!r} refused: {e}') from e
