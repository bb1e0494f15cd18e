"""
The ``echo_responder`` node.

Answers every PoseStamped on ``target_pose`` with a fixed JointState on ``joint_command`` carrying
the target's stamp. It does no IK at all, so its round trip is the floor of rclpy on the machine,
the benchmark's reference for the ik node.
"""

from __future__ import annotations

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseStamped
from ik_net_ros.nodes.conversions import joint_state
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.params import ARM, declare_parameters, EXECUTOR
from ik_net_ros.nodes.qos import NEWEST
from ik_net_ros.nodes.runner import run_node
from rclpy.node import Node
from sensor_msgs.msg import JointState

# the ik node's, so the floor spins and answers as the ik node does
PARAMETERS = {'arm': ARM, 'executor': EXECUTOR}


class EchoResponderNode(Node):
    """target_pose -> the same fixed joint_command (stamp copied), with the ik node's QoS."""

    def __init__(self, **kwargs):
        super().__init__('echo_responder', **kwargs)
        bridge_core_logs(self)
        arm = declare_parameters(self, PARAMETERS)
        self.pub = self.create_publisher(JointState, 'joint_command', 10)
        # made once, as the ik node's
        self.command = joint_state(arm.home, Time(), names=arm.joint_names)
        self.sub = self.create_subscription(PoseStamped, 'target_pose', self.on_target, NEWEST)

    def on_target(self, msg: PoseStamped) -> None:
        self.command.header.stamp = msg.header.stamp
        self.pub.publish(self.command)


def main(args=None):
    run_node(EchoResponderNode, args)


if __name__ == '__main__':
    main()
