"""
The ``target_marker`` node.

A target the user drags in RViz (3D position plus tool pitch; no roll, the yaw follows the
position), published on ``target_pose``; red where no solution is inside the limits and clear of
the table and the arm's base, or where the ik node refused it (its ``target_status``).
"""

from __future__ import annotations

from geometry_msgs.msg import PoseStamped
from ik_net_ros.kinematics import (
    project_pose,
)
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.nearest import safely_reachable
from ik_net_ros.kinematics.planar import is_planar, planar_chain
from ik_net_ros.kinematics.validation import as_pose_array
from ik_net_ros.nodes.arm_params import arm_home
from ik_net_ros.nodes.conversions import array_to_pose, joints_by_name
from ik_net_ros.nodes.core_logs import bridge_core_logs
from ik_net_ros.nodes.marker_server import MarkerServer
from ik_net_ros.nodes.params import (
    ARM,
    check_changes,
    declare_parameters,
    description_spec,
    EXECUTOR,
    frame_accepted,
    joint_vector,
    non_empty,
    number_in,
    PREFIX,
    prefixed,
    Spec,
    TABLE_CLEARANCE,
    topic_name,
    WORKSPACE,
    workspace_box,
)
from ik_net_ros.nodes.qos import NEWEST
from ik_net_ros.nodes.runner import run_node
import numpy as np
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from visualization_msgs.msg import (
    InteractiveMarker,
    InteractiveMarkerControl,
    InteractiveMarkerFeedback,
    Marker,
    MenuEntry,
)

NAME = 'target'
RESET_HOME = 1  # menu entry id
GREEN, RED = (0.1, 0.9, 0.2, 0.9), (0.95, 0.1, 0.1, 0.9)
PARAMETERS = {
    'arm': ARM,
    'frame_id': Spec('world', 'frame of the marker and targets', non_empty, 'a frame name',
                     fixed=True),
    'description': description_spec('the marker and targets follow'),
    'namespace': Spec('target_marker', 'interactive marker topic namespace (RViz: '
                                       'InteractiveMarkers display)', topic_name,
                      'a valid topic name',
                      fixed=True),
    'max_rate': Spec(20.0, 'targets published per second at most',
                     number_in(1e-3, 1000.0), 'a rate in [0.001, 1000] Hz', fixed=True),
    'scale': Spec(0.08, 'marker size, m', number_in(1e-3, 10.0), 'a size in [0.001, 10] m',
                  fixed=True),
    'home': Spec([], 'joints whose tool pose the menu entry "Reset to home" restores, rad, '
                     "one per joint of the arm; empty: the arm's home pose", joint_vector,
                 'one angle per joint of the arm, inside the limits ([]: its home)'),
    'table_clearance': TABLE_CLEARANCE,
    'workspace': WORKSPACE,
    'prefix': PREFIX,
    'executor': EXECUTOR,
}


def _control(name: str, mode: int, w: float, x: float, y: float, z: float,
             orientation_mode: int) -> InteractiveMarkerControl:
    control = InteractiveMarkerControl(name=name, interaction_mode=mode,
                                       orientation_mode=orientation_mode)
    norm = np.sqrt(w * w + x * x + y * y + z * z)
    (control.orientation.w, control.orientation.x, control.orientation.y,
     control.orientation.z) = (w / norm, x / norm, y / norm, z / norm)
    return control


class TargetMarkerNode(Node):
    """Serves the draggable target; each drag publishes a projected, checked PoseStamped."""

    def __init__(self, **kwargs):
        super().__init__('target_marker', **kwargs)
        bridge_core_logs(self)
        self.arm = declare_parameters(self, PARAMETERS)
        self.frame = self.get_parameter('frame_id').value
        self.prefix = self.get_parameter('prefix').value
        self.joint_names = prefixed(self.arm.joint_names, self.prefix)
        upright = self.arm.upright()  # which orientations the arm takes: its shape says
        self.rolls = is_planar(upright) and planar_chain(upright).roll
        self.collision = CollisionModel(self.arm, self.get_parameter('table_clearance').value,
                                        workspace_box(self.get_parameter('workspace').value))
        self.pose = chain_forward(self.arm, self._home())
        self.reachable = True
        self.pending: np.ndarray | None = None
        self.placed = False  # moved to the arm's current pose yet?
        self.unreachable_drags = 0
        self.pub = self.create_publisher(PoseStamped, 'target_pose', 10)
        self.server = MarkerServer(self, self.get_parameter('namespace').value, self.on_feedback)
        self.create_subscription(JointState, 'joint_states', self.on_joint_states, NEWEST)
        self.create_subscription(String, 'target_status', self.on_target_status, 10)
        self.server.insert(self._marker())
        self.timer = self.create_timer(1.0 / self.get_parameter('max_rate').value, self.on_timer)
        self.keep_alive_timer = self.create_timer(1.0, self.server.keep_alive)
        self.add_on_set_parameters_callback(self.on_set_parameters)

    def on_set_parameters(self, params) -> SetParametersResult:
        return check_changes(params, PARAMETERS, self.arm)

    def _home(self) -> tuple[float, ...]:
        """Return the joints of "Reset to home" (rad): the parameter, or the arm's home."""
        return arm_home(self.get_parameter('home').value, self.arm)

    def _marker(self) -> InteractiveMarker:
        marker = InteractiveMarker(name=NAME, description='IK target (drag; right-click: menu)',
                                   scale=float(self.get_parameter('scale').value))
        marker.header.frame_id = self.frame
        marker.pose = array_to_pose(self.pose, self.frame, marker.header.stamp).pose
        size = 0.35 * marker.scale
        body = Marker(type=Marker.ARROW)  # along the tool x axis
        body.scale.x, body.scale.y, body.scale.z = 1.6 * size, 0.35 * size, 0.35 * size
        body.color.r, body.color.g, body.color.b, body.color.a = (
            GREEN if self.reachable else RED)
        menu_control = InteractiveMarkerControl(
            name='menu', interaction_mode=InteractiveMarkerControl.MENU, always_visible=True,
            markers=[body])
        fixed, inherit = InteractiveMarkerControl.FIXED, InteractiveMarkerControl.INHERIT
        move = InteractiveMarkerControl.MOVE_AXIS
        marker.controls = [
            menu_control,
            # RViz controls act along their own x axis: these quaternions point it at x, z, y
            _control('move_x', move, 1, 1, 0, 0, fixed),
            _control('move_z', move, 1, 0, 1, 0, fixed),
            _control('move_y', move, 1, 0, 0, 1, fixed),
            # pitch: rotate about the tool's y axis; yaw follows the position
            _control('pitch', InteractiveMarkerControl.ROTATE_AXIS, 1, 0, 0, 1, inherit),
        ]
        if self.rolls:  # a wrist roll (the OMX-F): the tool turns about its own x axis too
            marker.controls.append(
                _control('roll', InteractiveMarkerControl.ROTATE_AXIS, 1, 1, 0, 0, inherit))
        marker.menu_entries = [MenuEntry(id=RESET_HOME, parent_id=0, title='Reset to home',
                                         command_type=MenuEntry.FEEDBACK)]
        return marker

    def on_joint_states(self, msg: JointState) -> None:
        """Start at the arm's current tool pose (once)."""
        joints = joints_by_name(msg, self.joint_names)
        if self.placed or joints is None or not np.all(np.isfinite(joints)):
            return
        self.placed = True
        self._move_to(chain_forward(self.arm, joints), publish=False)

    def on_target_status(self, msg: String) -> None:
        """Colour the marker by the ik node's verdict on the newest target (red: refused)."""
        self._colour(msg.data == '')

    def _colour(self, green: bool) -> bool:
        """Set the marker's colour; True if it changed (then the marker was sent anew)."""
        if green == self.reachable:
            return False
        self.reachable = green
        self.server.insert(self._marker())  # colour change: a full update
        return True

    def on_feedback(self, feedback: InteractiveMarkerFeedback) -> None:
        if feedback.marker_name != NAME:
            return
        if feedback.event_type == InteractiveMarkerFeedback.MENU_SELECT \
                and feedback.menu_entry_id == RESET_HOME:
            self._move_to(chain_forward(self.arm, self._home()),
                          publish=True)
            self.on_timer()
        elif feedback.event_type in (InteractiveMarkerFeedback.POSE_UPDATE,
                                     InteractiveMarkerFeedback.MOUSE_UP):
            if not frame_accepted(feedback.header.frame_id, self.frame, prefix=self.prefix):
                self.get_logger().warning(
                    f"feedback in frame '{feedback.header.frame_id}' ignored; set the RViz "
                    f"fixed frame to '{self.frame}'", throttle_duration_sec=2.0)
                return
            p, q = feedback.pose.position, feedback.pose.orientation
            requested = np.array([p.x, p.y, p.z, q.x, q.y, q.z, q.w])
            if not np.all(np.isfinite(requested)) or np.linalg.norm(requested[3:]) < 1e-6:
                return
            self._move_to(project_pose(requested, self.arm), publish=True)
            if feedback.event_type == InteractiveMarkerFeedback.MOUSE_UP:
                self.on_timer()  # the final pose of a drag goes out at once

    def _move_to(self, pose: np.ndarray, publish: bool) -> None:
        reachable = bool(safely_reachable(as_pose_array(pose)[0], self.arm,
                                          self.collision)[0])
        self.pose = pose
        if not self._colour(reachable):
            self.server.set_pose(NAME, array_to_pose(pose, self.frame,
                                                     self.get_clock().now().to_msg()).pose)
        if not reachable:
            self.unreachable_drags += 1
            self.get_logger().warning('target out of reach or in collision (marker red): not '
                                      'published', throttle_duration_sec=2.0)
            self.pending = None
        elif publish:
            self.pending = pose

    def on_timer(self) -> None:
        """Rate-limited publishing: the newest pending target, if any."""
        if self.pending is not None:
            self.pub.publish(array_to_pose(self.pending, self.frame,
                                           self.get_clock().now().to_msg()))
            self.pending = None


def main(args=None):
    run_node(TargetMarkerNode, args)


if __name__ == '__main__':
    main()
