"""
The driver's ``control_msgs/FollowJointTrajectory`` server.

On ``arm_controller/follow_joint_trajectory`` (relative to the driver's namespace).
As ros2_controllers' JointTrajectoryController serves it under ROBOTIS's controller name, so
MoveIt's ``moveit_simple_controller_manager`` executes on the driver. The decisions (validation,
interpolation, the safety check of the whole path, tolerances) are
:mod:`ik_net_ros.hardware.trajectory_goal`'s; this module maps them to the action and, each driver
cycle, sends the backend the interpolated goal (whose own limits, speed and collision checks stay
the last word).

Made only where control_msgs is importable (it is not on PyPI): :func:`make_trajectory_action`
returns None otherwise.
"""

from __future__ import annotations

from ik_net_ros.errors import IkNetError
from ik_net_ros.hardware.trajectory_goal import (
    check_motion,
    GOAL_TOLERANCE_VIOLATED,
    INVALID_GOAL,
    PATH_TOLERANCE_VIOLATED,
    start_delay,
    SUCCESSFUL,
    Tolerances,
    tolerances,
    trajectory_from_points,
    TrajectoryRefused,
    TrajectoryRun,
)
import numpy as np
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.action.server import GoalEvent
from rclpy.duration import Duration
from rclpy.task import Future
from rclpy.time import Time

__all__ = ['make_trajectory_action', 'TrajectoryAction', 'ACTION_NAME']

ACTION_NAME = 'arm_controller/follow_joint_trajectory'
PREEMPTED = 'Current goal cancelled due to new incoming action.'  # JTC's words
DEACTIVATED = 'Current goal cancelled during deactivate transition.'


def seconds(duration) -> float:
    """Give a builtin_interfaces/Duration in s."""
    return duration.sec + 1e-9 * duration.nanosec


def make_trajectory_action(driver):
    """Return the server on the driver node, or None where control_msgs is not importable."""
    try:
        from control_msgs.action import FollowJointTrajectory
    except ImportError:
        return None
    return TrajectoryAction(driver, FollowJointTrajectory)


class TrajectoryAction:
    """Follows one goal at a time; the driver calls :meth:`on_reading` every cycle."""

    def __init__(self, driver, action_type):
        self.driver, self.action_type = driver, action_type
        names = driver.joint_names
        zeros = np.zeros((2, len(names)))
        goal = zeros.copy()
        goal[0] = driver.get_parameter('trajectory_goal_tolerance').value
        self.defaults = Tolerances(zeros, goal, driver.get_parameter('trajectory_goal_time').value)
        self.reading: tuple[np.ndarray, np.ndarray] | None = None
        self.current = None  # (TrajectoryRun, handle, Future of (code, why), start Time)
        self.server = ActionServer(driver, action_type, ACTION_NAME, self.on_execute,
                                   goal_callback=self.on_goal,
                                   cancel_callback=lambda handle: CancelResponse.ACCEPT)

    def on_goal(self, request) -> GoalResponse:
        """Reject while the driver is inactive, as JTC does; all else is checked on execute."""
        if self.driver.active and self.reading is not None:
            return GoalResponse.ACCEPT
        self.driver.get_logger().warning('FollowJointTrajectory goal rejected: the driver is '
                                         'not active')
        return GoalResponse.REJECT

    def plan(self, goal) -> tuple[TrajectoryRun, Time]:
        """
        Check a goal whole; return its run and start time.

        Raises
        ------
        TrajectoryRefused
            With the Result's error_code and why.

        """
        names = list(self.driver.joint_names)
        traj = goal.trajectory
        if not self.driver.active or self.reading is None:
            raise TrajectoryRefused(INVALID_GOAL, 'the driver is not active')
        if len(goal.multi_dof_trajectory.points) or len(goal.component_path_tolerance) or \
                len(goal.component_goal_tolerance):
            raise TrajectoryRefused(INVALID_GOAL, 'multi-DOF trajectories and component '
                                    'tolerances are not for this arm (revolute joints only)')
        now = self.driver.get_clock().now()
        stamp = Time.from_msg(traj.header.stamp, clock_type=now.clock_type)
        late = None if stamp.nanoseconds == 0 else (now - stamp).nanoseconds * 1e-9
        start_time = now + Duration(nanoseconds=int(start_delay(late) * 1e9))
        start = self.reading[0]
        trajectory = trajectory_from_points(
            traj.joint_names, names, start,
            [(seconds(p.time_from_start), p.positions, p.velocities, p.accelerations, p.effort)
             for p in traj.points])
        backend = self.driver.backend
        check_motion(trajectory, start, backend.motion.max_velocity,
                     min(self.driver.period, 0.01), backend.collision, names,
                     self.driver.get_parameter('trajectory_max_duration').value)
        tol = tolerances(names, [(t.name, t.position, t.velocity, t.acceleration)
                                 for t in goal.path_tolerance],
                         [(t.name, t.position, t.velocity, t.acceleration)
                          for t in goal.goal_tolerance],
                         seconds(goal.goal_time_tolerance), self.defaults)
        return TrajectoryRun(trajectory, tol, names), start_time

    async def on_execute(self, handle):
        """Run a goal to its end; an unforeseen error aborts it with the reason, never raises."""
        result = self.action_type.Result()
        try:
            return await self._execute(handle, result)
        except Exception as e:  # noqa: B902 - the goal must end with a reason, never a traceback
            why = f'the driver failed on this goal: {type(e).__name__}: {e}'
            self.driver.get_logger().error(f'FollowJointTrajectory goal aborted: {why}')
            if self.current is not None and self.current[1] is handle:
                self._hold()
                self.current = None
            result.error_code, result.error_string = INVALID_GOAL, why
            try:
                handle.abort()
            except Exception as again:  # noqa: B902 - already ended: the result still says why
                self.driver.get_logger().error(f'could not abort the goal: {again}')
            return result

    async def _execute(self, handle, result):
        try:  # the whole goal is checked before anything moves; the running one is untouched
            run, start_time = self.plan(handle.request)
        except TrajectoryRefused as e:
            result.error_code, result.error_string = e.code, str(e)
            self.driver.get_logger().warning(f'FollowJointTrajectory goal refused: {e}')
            handle.abort()
            return result
        if self.current is not None:  # preempted, canceled as JTC does
            self.current[2].set_result((INVALID_GOAL, PREEMPTED))
        done = Future()
        self.current = (run, handle, done, start_time)
        code, message = await done
        if self.current is not None and self.current[2] is done:
            self.current = None
        result.error_code, result.error_string = code, message
        if handle.is_cancel_requested:
            handle.canceled()
        elif message in (PREEMPTED, DEACTIVATED):
            try:  # executing -> canceling -> canceled: rclpy has no public call for it
                handle._update_state(GoalEvent.CANCEL_GOAL)
                handle.canceled()
            except (AttributeError, RuntimeError):  # an rclpy without it: aborted, same result
                handle.abort()
        elif code == SUCCESSFUL:
            handle.succeed()
        else:
            self.driver.get_logger().warning(f'FollowJointTrajectory goal aborted: {message}')
            handle.abort()
        return result

    def on_reading(self, positions, velocities) -> None:
        """
        Run one driver cycle with the arm at ``positions`` rad, ``velocities`` rad/s.

        Feedback, the next interpolated goal to the backend (one cycle ahead: the backend's
        motion reaches it at the end of the next cycle), or the goal's end.
        """
        self.reading = (np.asarray(positions, float), np.asarray(velocities, float))
        if self.current is None:
            return
        run, handle, done, start_time = self.current
        if handle.is_cancel_requested:
            self._hold()
            done.set_result((SUCCESSFUL, 'canceled: the arm holds where it is'))
            return
        now = self.driver.get_clock().now()
        t = (now - start_time).nanoseconds * 1e-9
        step = run.update(t, *self.reading)
        feedback = self.action_type.Feedback()
        feedback.header.stamp = now.to_msg()
        feedback.joint_names = list(run.names)
        for point, values in ((feedback.desired, step.desired), (feedback.actual, self.reading),
                              (feedback.error, step.error)):
            point.positions = values[0].tolist()
            point.velocities = values[1].tolist()
        feedback.desired.accelerations = step.desired[2].tolist()
        if hasattr(feedback, 'index'):  # control_msgs >= 6.3 (Kilted, Rolling)
            feedback.index = step.index
        handle.publish_feedback(feedback)
        if step.code is not None:
            if step.code != SUCCESSFUL:
                self._hold()
            done.set_result((step.code, step.message))
            return
        ahead = run.trajectory.sample([t + self.driver.period])[0][0]
        try:
            self.driver.backend.set_goal(ahead)
        except IkNetError as e:  # the backend's own wall: never expected after the check
            self._hold()
            code = GOAL_TOLERANCE_VIOLATED if t >= run.trajectory.duration else \
                PATH_TOLERANCE_VIOLATED
            done.set_result((code, f'the driver refused the interpolated goal: {e}'))

    def _hold(self) -> None:
        """Hold the arm where it is being sent now (it stops there)."""
        command = self.driver.backend.command if self.driver.backend is not None else None
        if command is not None:
            try:
                self.driver.backend.set_goal(command)
            except IkNetError as e:
                self.driver.get_logger().error(f'holding the arm failed: {e}')

    def stop(self) -> None:
        """Cancel the running goal, as JTC on deactivate: the arm is going away."""
        self.reading = None
        if self.current is not None:
            self.current[2].set_result((INVALID_GOAL, DEACTIVATED))
            self.current = None
