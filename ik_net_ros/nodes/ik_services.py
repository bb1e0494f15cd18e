"""
MoveIt's IK and FK services on the ik node: ``~/solve_ik`` and ``~/solve_fk``.

``moveit_msgs/srv/GetPositionIK`` at ``~/solve_ik`` (``/ik/solve_ik`` for the node ``ik`` at
the root: the name MoveIt's ``srv_kinematics_plugin`` is given as
``kinematics_solver_service_name``, see docs/moveit.md) and ``GetPositionFK`` at
``~/solve_fk``. Created only where ``moveit_msgs`` is importable (the apt package on a ROS
machine; not on PyPI): elsewhere one info line says so and the node runs without them.

The answers are decided in :mod:`ik_net_ros.solver.ik_request`, with the node's solver, frames,
seed and safety parameters; a call never changes the node's seed nor commands anything. The
services have a callback group of their own (mutually exclusive: the solver answers one request
at a time); their callback never waits on another callback, so no executor can deadlock on it
(moveit2 #3633 is the plugin's client waiting inside move_group's own callback).
"""

from __future__ import annotations

import time

from ik_net_ros.nodes.conversions import array_to_pose, pose_to_list
from ik_net_ros.solver.ik_request import (
    ArmNames,
    FAILURE,
    fk_frame,
    forward_request,
    IkRequest,
    JointConstraint,
    solution_state,
    solve_request,
    SUCCESS,
)
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup

__all__ = ['IkServices', 'add_ik_services']

IK_SERVICE = '~/solve_ik'
FK_SERVICE = '~/solve_fk'


def add_ik_services(node) -> IkServices | None:
    """Serve MoveIt's IK and FK on ``node`` (the ik node); None where moveit_msgs is absent."""
    try:
        from moveit_msgs.srv import GetPositionFK, GetPositionIK
    except ImportError:
        node.get_logger().info('moveit_msgs is not installed: no solve_ik / solve_fk services '
                               '(MoveIt cannot call this node)')
        return None
    return IkServices(node, GetPositionIK, GetPositionFK)


class IkServices:
    """The two services of one ik node."""

    def __init__(self, node, ik_type, fk_type):
        self.node = node
        self.group = MutuallyExclusiveCallbackGroup()
        self.ik = node.create_service(ik_type, IK_SERVICE, self.on_ik,
                                      callback_group=self.group)
        self.fk = node.create_service(fk_type, FK_SERVICE, self.on_fk,
                                      callback_group=self.group)

    def names(self) -> ArmNames:
        """Return the names of the arm the node's solver answers for, under the node's prefix."""
        return ArmNames.of(self.node.solver.arm, self.node.params['prefix'])

    def on_ik(self, request, response):
        """Answer GetPositionIK; FAILURE and the reason on an unforeseen error, never a crash."""
        try:
            return self._ik(request, response)
        except Exception as e:  # noqa: BLE001 (a request must never take the node down)
            return self._failed(response, 'solve_ik', e)

    def on_fk(self, request, response):
        """Answer GetPositionFK; FAILURE with the reason on any unforeseen error."""
        try:
            return self._fk(request, response)
        except Exception as e:  # noqa: BLE001
            return self._failed(response, 'solve_fk', e)

    def _failed(self, response, service: str, error: Exception):
        self.node.get_logger().error(f'{service} failed: {type(error).__name__}: {error}')
        response.error_code.val = FAILURE
        response.error_code.message = f'{type(error).__name__}: {error}'
        response.error_code.source = self.node.get_fully_qualified_name()
        return response

    def _ik(self, request, response):
        """Answer GetPositionIK (see :mod:`ik_net_ros.solver.ik_request`)."""
        node, ik = self.node, request.ik_request
        state = ik.robot_state.joint_state
        constraints = ik.constraints
        query = IkRequest(
            pose=pose_to_list(ik.pose_stamped), frame=ik.pose_stamped.header.frame_id,
            group=ik.group_name, link=ik.ik_link_name,
            seed=dict(zip(state.name, state.position)),
            constraints=[JointConstraint(c.joint_name, c.position, c.tolerance_above,
                                         c.tolerance_below)
                         for c in constraints.joint_constraints],
            other_constraints=len(constraints.position_constraints)
            + len(constraints.orientation_constraints)
            + len(constraints.visibility_constraints),
            avoid_collisions=ik.avoid_collisions,
            timeout=ik.timeout.sec + ik.timeout.nanosec * 1e-9,
            links=list(ik.ik_link_names), poses=len(ik.pose_stamped_vector))
        solver = node.solver  # max_jump, allow_long_moves: set on parameter changes (configure)
        names = self.names()
        answer = solve_request(query, solver, node.frames, names,
                               fallback_seed=lambda: node._seed(time.perf_counter()))
        response.error_code.val = answer.code
        response.error_code.message = answer.reason
        response.error_code.source = node.get_fully_qualified_name()
        response.solution.joint_state.header.stamp = node.get_clock().now().to_msg()
        if answer.code != SUCCESS:
            node.get_logger().warning(f'solve_ik refused ({answer.code}): {answer.reason}',
                                      throttle_duration_sec=1.0)
            return response
        solution = response.solution.joint_state
        solution.name, solution.position = solution_state(
            list(state.name), list(state.position), names, answer.joints)
        if answer.reason:
            node.get_logger().info(f'solve_ik: {answer.reason}', throttle_duration_sec=5.0)
        return response

    def _fk(self, request, response):
        """Answer GetPositionFK: the poses of links of the arm's chain in a base frame."""
        node = self.node
        state = request.robot_state.joint_state
        header, names = request.header, self.names()
        code, poses, reason = forward_request(  # the real arm: calibrated, leaning axes too
            dict(zip(state.name, state.position)), list(request.fk_link_names),
            header.frame_id, node.solver.arm, names, _NodeFrames(node, header))
        response.error_code.val = code
        response.error_code.message = reason
        response.error_code.source = node.get_fully_qualified_name()
        if code != SUCCESS:
            node.get_logger().warning(f'solve_fk refused ({code}): {reason}',
                                      throttle_duration_sec=1.0)
            return response
        frame = fk_frame(header.frame_id, names)  # the frame the poses are really in
        stamp = node.get_clock().now().to_msg()
        response.pose_stamped = [array_to_pose(p, frame, stamp) for p in poses]
        response.fk_link_names = list(request.fk_link_names)
        return response


class _NodeFrames:
    """The node's frames as solve_ik's targets take them: its TargetFrames, then tf2."""

    def __init__(self, node, header):
        self.node, self.header = node, header

    def to_base(self, frame: str, pose: list[float]) -> list[float]:
        """Return ``pose`` in ``frame`` in the base frame (FrameError where none)."""
        tf = getattr(self.node, 'tf', None)
        if tf is None:
            return self.node.frames.to_base(frame, pose)
        return tf.to_base(self.node.frames, self.header, pose)
