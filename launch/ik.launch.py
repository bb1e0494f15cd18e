"""Live IK on the OpenMANIPULATOR-X.

    ros2 launch ik_net_ros ik.launch.py model:=focused device:=cpu refine:=false \
        hardware:=sim port:=/dev/ttyUSB0 rviz:=false

Starts the ``driver`` (simulated arm, Dynamixel servos or the servo emulator) and the ``ik``
node; ``rviz:=true`` adds robot_state_publisher with the package's URDF, the draggable target
marker and rviz2. Node parameters come from config/ik.yaml; the arguments override them.
Written against the launch API common to Humble, Jazzy and Kilted.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from launch import LaunchDescription

PACKAGE = 'ik_net_ros'


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    config = os.path.join(share, 'config', 'ik.yaml')
    urdf = os.path.join(share, 'urdf', 'open_manipulator_x.urdf')
    rviz_config = os.path.join(share, 'config', 'ik.rviz')
    robot_description = open(urdf).read() if os.path.exists(urdf) else ''
    rviz = IfCondition(LaunchConfiguration('rviz'))

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
        DeclareLaunchArgument('rviz', default_value='false',
                              description='start robot_state_publisher, the marker and rviz2'),
    ]
    driver = Node(
        package=PACKAGE, executable='driver', name='driver', output='screen',
        parameters=[config, {'backend': LaunchConfiguration('hardware'),
                             'port': LaunchConfiguration('port')}])
    ik = Node(
        package=PACKAGE, executable='ik', name='ik', output='screen',
        parameters=[config, {
            'model': LaunchConfiguration('model'),
            'device': LaunchConfiguration('device'),
            'refine': ParameterValue(LaunchConfiguration('refine'), value_type=bool)}])
    state_publisher = Node(
        package='robot_state_publisher', executable='robot_state_publisher',
        name='robot_state_publisher', output='screen', condition=rviz,
        parameters=[{'robot_description': ParameterValue(robot_description, value_type=str)}])
    marker = Node(package=PACKAGE, executable='target_marker', name='target_marker',
                  output='screen', condition=rviz, parameters=[config])
    rviz2 = Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                 condition=rviz, arguments=['-d', rviz_config])
    return LaunchDescription(arguments + [driver, ik, state_publisher, marker, rviz2])
