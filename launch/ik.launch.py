"""
Live IK on a ROBOTIS arm (the OpenMANIPULATOR-X unless ``arm:=`` says another).

    ros2 launch ik_net_ros ik.launch.py arm:=open_manipulator_x model:= device:=cpu \
        refine:=false hardware:=sim port:=/dev/ttyUSB0 description:=humble rviz:=false \
        namespace:= prefix:= use_sim_time:=false

``arm:=omx_f`` (or the path of an arm YAML) gives every node and the URDF that arm: its joint
names and count, limits, frames and collision model. ``model:=`` left empty runs the arm's
focused model where one is shipped and the exact closed form (analytic) elsewhere (the OMY:
``arm:=omy_f3m``, said in a line); a learned model the arm has none of stops the launch.

Starts the ``driver`` (simulated arm, Dynamixel servos or the servo emulator), the ``ik`` node
(both given ``calibration:=<file>``: the driver checks commands against the calibrated arm)
and, where it is installed, robot_state_publisher with the package's URDF (TF of the arm);
``rviz:=true`` adds the draggable target marker and rviz2. ``description:=jazzy`` puts every
node (and the URDF) in the frame of ROBOTIS's jazzy description (joint1 at z = 0); humble, the
default, is the physical 0.017 m. ``namespace:=arm1`` moves every node and topic under /arm1
(two arms side by side); ``prefix:=arm1_`` names joints and frames as ROBOTIS's xacro does
(arm1_joint1, arm1_link1) where two arms share a TF tree; ``base_xyz_rpy:=[x, y, z, roll, pitch,
yaw]`` (m, deg) places the arm's link1 in ``world`` (the URDF's world_fixed joint, so TF's
world -> <prefix>link1, and the ik node's targets in world), so several arms share one world;
``use_sim_time:=true`` for /clock. ``rviz:=true`` where rviz2 is not installed says so and
starts the rest.
Node parameters come from config/ik.yaml (keys /**/node: they apply under any namespace); the
arguments override them. Written against the launch API common to Humble, Jazzy and Kilted.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, LogInfo, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

PACKAGE = 'ik_net_ros'


def _installed(package: str) -> bool:
    from ament_index_python.packages import PackageNotFoundError
    try:
        get_package_share_directory(package)
    except PackageNotFoundError:
        return False
    return True


def _base(context) -> list:
    """Return base_xyz_rpy as 6 floats (ValueError with the argument's name: launch stops)."""
    from ik_net_ros.resources import parse_xyz_rpy
    return parse_xyz_rpy(LaunchConfiguration('base_xyz_rpy').perform(context))


def _arm(context):
    """Return the arm of the arm and description arguments (a ConfigError stops the launch)."""
    from ik_net_ros.nodes.arm_params import node_arm
    return node_arm(LaunchConfiguration('arm').perform(context),
                    LaunchConfiguration('description').perform(context))


def _state_publisher(context):
    """
    Start robot_state_publisher with the URDF of the chosen arm, description, prefix, placement.

    The URDF is written at launch time from the arm's description; where robot_state_publisher
    is not installed, a note.
    """
    from ik_net_ros.resources import robot_description
    base = _base(context)  # checked even where the URDF is not published
    arm = _arm(context)
    if not _installed('robot_state_publisher'):
        return [LogInfo(msg='robot_state_publisher is not installed: no TF of the arm')]
    text = robot_description(arm, LaunchConfiguration('prefix').perform(context), base)
    return [Node(package='robot_state_publisher', executable='robot_state_publisher',
                 name='robot_state_publisher', output='screen',
                 namespace=LaunchConfiguration('namespace'),
                 parameters=[{'robot_description': ParameterValue(text, value_type=str),
                              'use_sim_time': _sim_time()}])]


def _viewers(context):
    """
    Start the target marker and, where it is installed, rviz2 (``rviz:=true``).

    Without rviz2 a line says so and the rest runs: a missing executable would stop the whole
    launch (and leave the other nodes running as orphans). With the arm placed in world, the
    marker works in the arm's base link (<prefix>link1 on the OM-X), where its targets are
    computed.
    """
    if not IfCondition(LaunchConfiguration('rviz')).evaluate(context):
        return []
    from ik_net_ros.robot_urdf import base_link_name
    namespace = LaunchConfiguration('namespace')
    prefix = LaunchConfiguration('prefix').perform(context)
    frame = {'frame_id': f'{prefix}{base_link_name(_arm(context))}'} \
        if any(_base(context)) else {}
    share = get_package_share_directory(PACKAGE)
    actions = [Node(package=PACKAGE, executable='target_marker', name='target_marker',
                    output='screen', namespace=namespace,
                    parameters=[os.path.join(share, 'config', 'ik.yaml'), _common(),
                                {'description': LaunchConfiguration('description'),
                                 'arm': LaunchConfiguration('arm'), **frame}])]
    if not _installed('rviz2'):
        return actions + [LogInfo(msg='rviz:=true but rviz2 is not installed (sudo apt install '
                                      'ros-$ROS_DISTRO-rviz2): starting without it; the '
                                      'target marker runs for any RViz on the network')]
    return actions + [Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                           namespace=namespace,
                           arguments=['-d', os.path.join(share, 'config', 'ik.rviz')],
                           parameters=[{'use_sim_time': _sim_time()}])]


def _model(context) -> tuple[str, list]:
    """
    Return the ik node's model and what the launch says of it.

    ``model:=`` empty (the default): the arm's learned model where one is shipped, else the
    closed form ('analytic', said in a line). A learned model's name the arm has none of stops
    the launch (a ConfigError naming what to give instead).
    """
    from ik_net_ros.errors import ConfigError
    from ik_net_ros.model import MODEL_SUFFIXES
    from ik_net_ros.solver import default_model, learned_models
    arm = _arm(context)
    model = LaunchConfiguration('model').perform(context)
    if not model:
        model = default_model(arm)
        if model == 'analytic':
            return model, [LogInfo(msg=f'arm {arm.name}: no learned model of it is shipped '
                                       f'yet: the ik node runs model analytic (the exact '
                                       f'closed form)')]
        return model, []
    if model != 'analytic' and os.path.splitext(model)[1] not in MODEL_SUFFIXES \
            and model not in learned_models(arm):
        shipped = ', '.join(learned_models(arm)) or 'none yet'
        raise ConfigError(f'model:={model}: no learned model of that name is shipped for the '
                          f'{arm.name} (its learned models: {shipped}); model:=analytic runs '
                          f'the exact closed form, or give a model file of this arm')
    return model, []


def _ik(context):
    """Start the ik node, given the arm's placement in world (6 floats) and its model."""
    share = get_package_share_directory(PACKAGE)
    model, notes = _model(context)
    return notes + [Node(
        package=PACKAGE, executable='ik', name='ik', output='screen',
        namespace=LaunchConfiguration('namespace'),
        parameters=[os.path.join(share, 'config', 'ik.yaml'), _common(), {
            'model': model,
            'device': LaunchConfiguration('device'),
            'arm': LaunchConfiguration('arm'),
            'description': LaunchConfiguration('description'),
            'calibration': ParameterValue(LaunchConfiguration('calibration'), value_type=str),
            'base_xyz_rpy': _base(context),
            'refine': ParameterValue(LaunchConfiguration('refine'), value_type=bool)}])]


def _sim_time():
    return ParameterValue(LaunchConfiguration('use_sim_time'), value_type=bool)


def _common():
    """Parameters every node of the launch takes from its arguments."""
    return {'use_sim_time': _sim_time(),
            'prefix': ParameterValue(LaunchConfiguration('prefix'), value_type=str)}


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    config = os.path.join(share, 'config', 'ik.yaml')
    description = LaunchConfiguration('description')
    # one calibration for the ik node and the driver: both walls check the arm it describes
    calibration = ParameterValue(LaunchConfiguration('calibration'), value_type=str)

    arguments = [
        DeclareLaunchArgument('arm', default_value='open_manipulator_x',
                              description='the arm: open_manipulator_x | omx_f | omy_3m | '
                                          "omy_f3m | the path of an arm's YAML"),
        DeclareLaunchArgument('model', default_value='',
                              description='original | improved | focused | analytic | path.pt; '
                                          "empty: the arm's focused model where one is "
                                          'shipped, else analytic (the closed form: the OMY)'),
        DeclareLaunchArgument('device', default_value='cpu', description='cpu | cuda | auto'),
        DeclareLaunchArgument('refine', default_value='false',
                              description='Gauss-Newton refinement after the network'),
        DeclareLaunchArgument('hardware', default_value='sim',
                              description='sim | dynamixel | emulated'),
        DeclareLaunchArgument('port', default_value='/dev/ttyUSB0',
                              description='serial port of the Dynamixel bus'),
        DeclareLaunchArgument('description', default_value='humble',
                              choices=['humble', 'jazzy'],
                              description="ROBOTIS's description of the OpenMANIPULATOR-X the "
                                          'frames follow: humble (joint1 at z = 0.017 m) or '
                                          'jazzy (0.0); an arm with one description ignores '
                                          'it'),
        DeclareLaunchArgument('calibration', default_value='',
                              description='calibration file of this arm (ik_net_ros '
                                          'calibrate), for the ik node and the driver'),
        DeclareLaunchArgument('rviz', default_value='false',
                              description='start the draggable target marker and rviz2'),
        DeclareLaunchArgument('namespace', default_value='',
                              description='namespace of every node and topic (e.g. arm1)'),
        DeclareLaunchArgument('prefix', default_value='',
                              description="joint and frame name prefix, as ROBOTIS's xacro "
                                          '(e.g. arm1_: arm1_joint1, arm1_link1)'),
        DeclareLaunchArgument('base_xyz_rpy', default_value='[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]',
                              description="the arm's base (<prefix>link1) in world: x, y, z "
                                          '(m), roll, pitch, yaw (deg); several arms share one '
                                          'world'),
        DeclareLaunchArgument('use_sim_time', default_value='false',
                              description='follow /clock (a simulator or a replayed bag)'),
        DeclareLaunchArgument('autostart', default_value='true',
                              description='bring the (managed) driver to active at start; '
                                          'false: ros2 lifecycle set <ns>/driver configure, '
                                          'activate'),
    ]
    namespace = LaunchConfiguration('namespace')
    driver = Node(
        package=PACKAGE, executable='driver', name='driver', output='screen',
        namespace=namespace,
        parameters=[config, _common(), {
            'autostart': ParameterValue(LaunchConfiguration('autostart'), value_type=bool),
            'backend': LaunchConfiguration('hardware'), 'port': LaunchConfiguration('port'),
            'arm': LaunchConfiguration('arm'), 'description': description,
            'calibration': calibration}])
    ik = OpaqueFunction(function=_ik)
    state_publisher = OpaqueFunction(function=_state_publisher)
    viewers = OpaqueFunction(function=_viewers)
    return LaunchDescription(arguments + [driver, ik, state_publisher, viewers])
