"""Live IK on the OpenMANIPULATOR-X.

    ros2 launch ik_net_ros ik.launch.py model:=focused device:=cpu refine:=false \
        hardware:=sim port:=/dev/ttyUSB0 description:=humble rviz:=false

Starts the ``driver`` (simulated arm, Dynamixel servos or the servo emulator) and the ``ik``
node; ``rviz:=true`` adds robot_state_publisher with the package's URDF, the draggable target
marker and rviz2. ``description:=jazzy`` puts every node (and the URDF robot_state_publisher
gets) in the frame of ROBOTIS's jazzy description (joint1 at z = 0); humble, the default, is the
physical 0.017 m. Node parameters come from config/ik.yaml; the arguments override them.
Written against the launch API common to Humble, Jazzy and Kilted.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from launch import LaunchDescription

PACKAGE = 'ik_net_ros'


def _state_publisher(context, condition):
    """robot_state_publisher with the URDF of the chosen description (read at launch time)."""
    from ik_net_ros.resources import robot_description
    text = robot_description(LaunchConfiguration('description').perform(context))
    return [Node(package='robot_state_publisher', executable='robot_state_publisher',
                 name='robot_state_publisher', output='screen', condition=condition,
                 parameters=[{'robot_description': ParameterValue(text, value_type=str)}])]


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    config = os.path.join(share, 'config', 'ik.yaml')
    rviz_config = os.path.join(share, 'config', 'ik.rviz')
    rviz = IfCondition(LaunchConfiguration('rviz'))
    description = LaunchConfiguration('description')

    arguments = [
        DeclareLaunchArgument('model', default_value='focused',
                              description='original | improved | focused | analytic | path.pt'),
        DeclareLaunchArgument('device', default_value='cpu', description='cpu | cuda | auto'),
        DeclareLaunchArgument('refine', default_value='false',
                              description='Gauss-Newton refinement after the network'),
        DeclareLaunchArgument('hardware', default_value='sim',
                              description='sim | dynamixel | emulated'),
        DeclareLaunchArgument('port', default_value='/dev/ttyUSB0',
                              description='serial port of the Dynamixel bus'),
        DeclareLaunchArgument('description', default_value='humble',
                              choices=['humble', 'jazzy'],
                              description="ROBOTIS's arm description the frames follow: humble "
                                          '(joint1 at z = 0.017 m) or jazzy (0.0)'),
        DeclareLaunchArgument('calibration', default_value='',
                              description='calibration file of this arm (ik_net_ros calibrate)'),
        DeclareLaunchArgument('rviz', default_value='false',
                              description='start robot_state_publisher, the marker and rviz2'),
    ]
    driver = Node(
        package=PACKAGE, executable='driver', name='driver', output='screen',
        parameters=[config, {'backend': LaunchConfiguration('hardware'),
                             'port': LaunchConfiguration('port'), 'description': description}])
    ik = Node(
        package=PACKAGE, executable='ik', name='ik', output='screen',
        parameters=[config, {
            'model': LaunchConfiguration('model'),
            'device': LaunchConfiguration('device'), 'description': description,
            'calibration': LaunchConfiguration('calibration'),
            'refine': ParameterValue(LaunchConfiguration('refine'), value_type=bool)}])
    state_publisher = OpaqueFunction(function=_state_publisher, kwargs={'condition': rviz})
    marker = Node(package=PACKAGE, executable='target_marker', name='target_marker',
                  output='screen', condition=rviz,
                  parameters=[config, {'description': description}])
    rviz2 = Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                 condition=rviz, arguments=['-d', rviz_config])
    return LaunchDescription(arguments + [driver, ik, state_publisher, marker, rviz2])
