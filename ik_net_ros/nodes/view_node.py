"""
The ``view`` node: the browser view (:mod:`ik_net_ros.view.page`) of a running ik node and arm.

It shows ``joint_states`` (the solid arm), ``joint_command`` (the ghost) and each target's fate
(``target_status``, and ``target_fate`` where the ik node publishes it). It publishes
``target_pose`` to the ik node, whose rules then apply, only when started with
``allow_commands:=true`` (``ik_net_ros view --ros --allow-commands``): a page can never command a
real arm otherwise, and never sends joint commands at all. Switching the solver sets the ik
node's ``model`` parameter, with the same permission.
"""

from __future__ import annotations

from dataclasses import replace
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
from ik_net_ros.errors import ConfigError, IkNetError
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.nodes.conversions import array_to_pose, joints_by_name
from ik_net_ros.nodes.params import (
    ARM,
    declare_parameters,
    description_spec,
    non_empty,
    PREFIX,
    prefixed,
    Spec,
    TABLE_CLEARANCE,
)
from ik_net_ros.nodes.qos import NEWEST
from ik_net_ros.rules import int_in
from ik_net_ros.view.fate import Fate, from_diagnostic, from_status, ViewState
import numpy as np
import rclpy
from rclpy.exceptions import NameValidationException
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_msgs.msg import String

PARAMETERS = {
    'allow_commands': Spec(False, 'let the page publish target_pose to the ik node (which may '
                                  'drive a real arm); false: the page only shows', fixed=True),
    'host': Spec('127.0.0.1', 'address the page is served on (0.0.0.0: every network)',
                 non_empty, 'an address', fixed=True),
    'port': Spec(8080, 'port of the page (0: a free one)', int_in(0, 65535),
                 'a port in 0..65535', fixed=True),
    'ik_node': Spec('ik', 'name of the ik node whose model parameter the page switches',
                    non_empty, 'a node name', fixed=True),
    'frame_id': Spec('world', 'frame of the targets published', non_empty, 'a frame name',
                     fixed=True),
    'arm': ARM,
    'description': description_spec('the arm is drawn in'),
    'table_clearance': TABLE_CLEARANCE,
    'prefix': PREFIX,
}
NOT_ALLOWED = 'the view was started without allow_commands (--allow-commands): it only shows'
SWITCH_TIMEOUT = 10.0  # s the ik node has to load another model


class ViewNode(Node):
    """The ROS side of the view: the session the page draws and sends targets through."""

    mode_name = 'ROS'

    def __init__(self, **kwargs):
        super().__init__('view', **kwargs)
        self.arm_model = declare_parameters(self, PARAMETERS)  # the page draws it
        value = self.get_parameter
        self.description = self.arm_model.description
        self.can_command = bool(value('allow_commands').value)
        self.frame_id = value('frame_id').value
        self.collision = CollisionModel(self.arm_model, value('table_clearance').value)
        self.joint_names = prefixed(self.arm_model.joint_names, value('prefix').value)
        self.mode = f'ROS, namespace {self.get_namespace()}: ' + (
            'targets go to the ik node' if self.can_command else 'view only')
        self._lock = threading.Lock()
        self._state = ViewState(model="(the ik node's)")
        self._sent: dict[tuple[int, int], float] = {}  # target stamp -> time sent
        self.create_subscription(JointState, 'joint_states', self.on_joint_states, NEWEST)
        self.create_subscription(JointState, 'joint_command', self.on_command, 10)
        self.create_subscription(String, 'target_status', self.on_status, 10)
        self.create_subscription(DiagnosticArray, 'target_fate', self.on_fate, 10)
        # no publisher at all without the permission: nothing this node does can move an arm
        self.target_pub = self.create_publisher(PoseStamped, 'target_pose', 10) \
            if self.can_command else None
        self._params = None
        if self.can_command:
            from rclpy.parameter_client import AsyncParameterClient
            self._params = AsyncParameterClient(self, value('ik_node').value)

    # topics ------------------------------------------------------------------------------------

    def on_joint_states(self, msg: JointState) -> None:
        joints = joints_by_name(msg, self.joint_names)
        if joints is not None and np.all(np.isfinite(joints)):
            self._update(present=joints)

    def on_command(self, msg: JointState) -> None:
        joints = joints_by_name(msg, self.joint_names)
        if joints is None or not np.all(np.isfinite(joints)):
            return
        with self._lock:
            sent = self._sent.pop((msg.header.stamp.sec, msg.header.stamp.nanosec), None)
            s = self._state
            s.commanded = joints
            if sent is not None:  # target -> command, through DDS and the ik node
                s.solve_ms = (time.perf_counter() - sent) * 1000
            if s.target is not None:
                tool = chain_forward(self.arm_model, joints)
                s.error_mm = float(np.linalg.norm(tool[:3] - s.target[:3]) * 1000)
            s.version += 1

    def on_status(self, msg: String) -> None:
        self._update(fate=from_status(msg.data))

    def on_fate(self, msg: DiagnosticArray) -> None:
        if msg.status:
            status = msg.status[0]
            self._update(fate=from_diagnostic(status.message,
                                              {kv.key: kv.value for kv in status.values}))

    def _update(self, **fields) -> None:
        with self._lock:
            for name, field_value in fields.items():
                setattr(self._state, name, field_value)
            self._state.version += 1

    # the session interface (called from the page's threads) ------------------------------------

    def state(self) -> ViewState:
        with self._lock:
            return replace(self._state)  # a copy: the page reads it outside the lock

    def set_target(self, pose) -> Fate:
        """Publish ``pose`` (7,) as target_pose when allowed; its fate arrives from the ik node."""
        pose = np.asarray(pose, dtype=float)
        if self.target_pub is None:
            fate = Fate('not sent', NOT_ALLOWED)
            self._update(fate=fate, target=pose)
            return fate
        stamp = self.get_clock().now().to_msg()
        with self._lock:
            if len(self._sent) > 100:  # answers that never came (refused targets)
                self._sent.clear()
            self._sent[(stamp.sec, stamp.nanosec)] = time.perf_counter()
        self._update(target=pose, fate=Fate('sent', 'waiting for the ik node'))
        self.target_pub.publish(array_to_pose(pose, self.frame_id, stamp))
        return Fate('sent')

    def switch_model(self, model: str) -> str:
        """Set the ik node's model parameter; return '' when it took it, else why not."""
        if self._params is None:
            return NOT_ALLOWED
        if not self._params.wait_for_services(timeout_sec=2.0):
            return f'no ik node answers at {self._params.remote_node_name}'
        future = self._params.set_parameters([Parameter('model', value=str(model))])
        end = time.monotonic() + SWITCH_TIMEOUT
        while not future.done() and time.monotonic() < end:
            time.sleep(0.01)  # the node's executor thread completes the future
        if not future.done():
            return 'the ik node did not answer in time'
        result = future.result().results[0]
        if not result.successful:
            return result.reason
        self._update(model=str(model))
        return ''


def run_view(args=None, duration: float = 0.0, **overrides) -> int:
    """
    Run the view node and its page until Ctrl-C (or ``duration`` s); return the exit status.

    ``overrides``: parameter values (namespace, host, port, allow_commands, description...).
    """
    from ik_net_ros.view.page import serve, ViewPage
    from rclpy.executors import SingleThreadedExecutor
    namespace = overrides.pop('namespace', None)
    rclpy.init(args=args)
    try:
        try:
            node = ViewNode(namespace=namespace, parameter_overrides=[
                Parameter(k, value=v) for k, v in overrides.items()])
        except NameValidationException as e:
            raise ConfigError(f'namespace {namespace!r} refused: ' + str(e).split(':\n')[0]
                              ) from e
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                executor.spin_once(timeout_sec=0.05)

        spinner = threading.Thread(target=spin, name='view-ros', daemon=True)
        spinner.start()
        try:
            page = ViewPage(node, host=node.get_parameter('host').value,
                            port=node.get_parameter('port').value)
            try:
                print(f'view: {page.url} ({node.mode}; Ctrl-C to stop)', flush=True)
                serve(duration)
            finally:
                page.close()
        finally:
            stop.set()
            spinner.join()
            executor.shutdown()
            node.destroy_node()
    finally:
        rclpy.try_shutdown()
    return 0


def main(args=None):
    """``ros2 run ik_net_ros view``: a refused parameter is one line and exit status 2."""
    import sys
    try:
        sys.exit(run_view(args))
    except IkNetError as e:
        print(f'view: {e}', file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
