"""The ``driver`` node: joint commands in, the arm moved, ``joint_states`` out at a fixed rate."""

from __future__ import annotations

import numpy as np
import rclpy
import rclpy.executors
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import JointState

from ik_net_ros.errors import IkNetError
from ik_net_ros.hardware import ArmBackend, SimulatedArm
from ik_net_ros.kinematics import HOME_POSE, VELOCITY_LIMIT
from ik_net_ros.nodes.conversions import describe, joint_state, joints_by_name

BACKENDS = ('sim', 'dynamixel', 'emulated')


def make_backend(node: Node) -> ArmBackend:
    """The backend named by the node's ``backend`` parameter."""
    backend = node.get_parameter('backend').value
    if backend == 'sim':
        return SimulatedArm(home=node.get_parameter('home').value,
                            max_velocity=node.get_parameter('max_velocity').value)
    raise IkNetError(f"backend {backend!r} is not available; expected one of {BACKENDS}")


class DriverNode(Node):
    """Moves the arm toward the newest joint command and publishes its state."""

    def __init__(self, **kwargs):
        super().__init__('driver', **kwargs)
        self.declare_parameter('backend', 'sim', describe(
            'sim (simulated arm) | dynamixel (servos on port) | emulated (servo emulator)'))
        self.declare_parameter('rate', 100.0, describe('joint_states rate, Hz'))
        self.declare_parameter('home', list(HOME_POSE), describe(
            'start pose of the simulated arm, rad [joint1..joint4]'))
        self.declare_parameter('max_velocity', VELOCITY_LIMIT, describe(
            'joint speed limit of the simulated arm, rad/s'))
        self.declare_parameter('port', '/dev/ttyUSB0', describe('serial port of the servo bus'))
        self.declare_parameter('baud_rate', 1_000_000, describe('servo bus baud rate'))
        self.declare_parameters_extra()
        self.backend = make_backend(self)
        self.backend.open()
        self.rejected = 0
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.sub = self.create_subscription(JointState, 'joint_command', self.on_command, 10)
        self.pub = self.create_publisher(JointState, 'joint_states', 10)
        self.period = 1.0 / self.get_parameter('rate').value
        self.timer = self.create_timer(self.period, self.on_cycle)
        self.get_logger().info(f"driver ready: backend {self.get_parameter('backend').value}, "
                               f'{1 / self.period:.0f} Hz')

    def declare_parameters_extra(self) -> None:
        """Hook for backends with more settings (the Dynamixel bus)."""

    def on_set_parameters(self, params) -> SetParametersResult:
        for p in params:
            if p.name in ('backend', 'rate'):
                return SetParametersResult(successful=False,
                                           reason=f'{p.name} is fixed at start; restart the node')
            if p.name == 'max_velocity':
                if not (isinstance(p.value, (int, float)) and 0 < p.value <= VELOCITY_LIMIT):
                    return SetParametersResult(
                        successful=False, reason=f'max_velocity must be in (0, {VELOCITY_LIMIT}]')
                if isinstance(self.backend, SimulatedArm):
                    self.backend.max_velocity = float(p.value)
        return SetParametersResult(successful=True)

    def on_command(self, msg: JointState) -> None:
        goal = joints_by_name(msg, self.backend.joint_names)
        if goal is None or not np.all(np.isfinite(goal)):
            self.rejected += 1
            self.get_logger().warning(
                'joint_command ignored: needs finite positions for '
                f'{", ".join(self.backend.joint_names)} (got names {list(msg.name)})',
                throttle_duration_sec=2.0)
            return
        used = self.backend.set_goal(goal)
        if self.backend.goal_clamped:
            self.get_logger().warning(f'joint_command {goal.round(3).tolist()} outside the '
                                      f'limits, clamped to {used.round(3).tolist()}',
                                      throttle_duration_sec=2.0)

    def on_cycle(self) -> None:
        reading = self.backend.cycle(self.period)
        for fault in reading.faults:
            self.get_logger().error(fault, throttle_duration_sec=2.0)
        if reading.ok:
            self.pub.publish(joint_state(reading.positions, self.get_clock().now().to_msg(),
                                         reading.velocities, self.backend.joint_names))

    def shutdown(self) -> None:
        """Explicit hardware cleanup (torque as configured, port closed)."""
        self.backend.close()


def main(args=None):
    rclpy.init(args=args)
    node = DriverNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        node.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    main()
