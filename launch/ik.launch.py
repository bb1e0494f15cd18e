"""Live IK on the OpenMANIPULATOR-X: ``ros2 launch ik_net_ros ik.launch.py model:=focused``."""
# grows with the ik and driver nodes (live IK issue)
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument('model', default_value='focused',
                              description='original | improved | focused | analytic | path'),
    ])
