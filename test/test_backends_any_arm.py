"""Backends, motion and trajectory checks of an arm other than the OM-X: the OMX-F (5 joints)."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.errors import HardwareError, InvalidJointsError
from ik_net_ros.hardware.factory import BackendSettings, make_backend
from ik_net_ros.hardware.motion import MotionLimiter
from ik_net_ros.hardware.sim import SimulatedArm
from ik_net_ros.hardware.trajectory_goal import (
    check_motion,
    INVALID_GOAL,
    trajectory_from_points,
    TrajectoryRefused,
)
from ik_net_ros.kinematics.chain import chain_forward
import numpy as np
import pytest

ARM = load_arm('omx_f')
NAMES = ARM.joint_names
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)
# the OMX-F with a slow joint2: each joint's own velocity limit is kept
SLOW = replace(ARM, joints=tuple(replace(j, velocity=0.5) if j.name == 'joint2' else j
                                 for j in ARM.joints))
inside = st.tuples(*[st.floats(float(lo), float(hi)) for lo, hi in zip(ARM.lower, ARM.upper)])


def test_sim_arm_of_the_omx_f_starts_home_with_its_joints_and_gripper():
    arm = SimulatedArm(arm=ARM, collision=None)
    assert arm.joint_names == NAMES and np.array_equal(arm.home, ARM.home)
    assert arm.gripper_joint == 'gripper_joint_1' and arm.gripper_range == (0.0, 1.0)
    reading = arm.cycle(0.01)
    assert reading.positions.shape == (5,) and reading.gripper == 0.0
    with pytest.raises(InvalidJointsError, match=r'expected shape \(5,\)'):
        arm.set_goal([0.0, 0.0, 0.0, 0.0])
    used = arm.set_goal([9.0, 9.0, -9.0, 9.0, -9.0])
    assert np.array_equal(used, [ARM.upper[0], ARM.upper[1], ARM.lower[2], ARM.upper[3],
                                 ARM.lower[4]])
    assert arm.goal_clamped


@SETTINGS
@given(start=inside, goal=inside, speed=st.floats(0.1, 4.8))
def test_no_joint_moves_faster_than_its_own_limit(start, goal, speed):
    motion = MotionLimiter(speed, joint_velocity=SLOW.velocity)
    motion.reset(start)
    previous = np.array(start)
    for _ in range(300):
        step = motion.step(np.array(goal), 0.01)
        assert np.all(np.abs(step - previous) <= np.minimum(speed, SLOW.velocity) * 0.01 + 1e-12)
        previous = step
    if np.max(np.abs(np.array(goal) - start) / np.minimum(speed, SLOW.velocity)) < 2.0:
        assert np.array_equal(previous, goal)  # and it gets there


@SETTINGS
@given(goal=inside)
def test_sim_arm_follows_to_the_goal_the_urdf_chain_puts_the_tool_at(goal):
    arm = SimulatedArm(arm=ARM, collision=None)
    arm.set_goal(goal)
    for _ in range(400):
        reading = arm.cycle(0.01)
    assert np.allclose(reading.positions, goal, atol=1e-12)
    assert np.allclose(chain_forward(ARM, reading.positions), chain_forward(ARM, goal))


def _goal(points):
    return trajectory_from_points(NAMES, NAMES, np.array(ARM.home), points)


def test_trajectory_of_the_omx_f_checked_against_its_own_limits():
    start = np.array(ARM.home)
    inside_goal = _goal([(2.0, [0.3, 0.0, 0.2, 0.5, 1.0], [], [], [])])
    check_motion(inside_goal, start, 4.8, 0.01, None, NAMES, arm=ARM)
    outside = _goal([(2.0, [0.3, ARM.upper[1] + 0.2, 0.2, 0.5, 1.0], [], [], [])])
    with pytest.raises(TrajectoryRefused, match='joint2') as e:
        check_motion(outside, start, 4.8, 0.01, None, NAMES, arm=ARM)
    assert e.value.code == INVALID_GOAL
    with pytest.raises(TrajectoryRefused, match='5 joints'):  # the OM-X's limits: 4 joints
        check_motion(inside_goal, start, 4.8, 0.01, None, NAMES)
    # without arm=, the collision model's arm (the backend's own) says the limits
    backend = SimulatedArm(arm=ARM)
    check_motion(inside_goal, start, 4.8, 0.01, backend.collision, NAMES)
    with pytest.raises(TrajectoryRefused, match='joint2'):
        check_motion(outside, start, 4.8, 0.01, backend.collision, NAMES)


def test_trajectory_too_fast_for_one_joints_own_limit_is_refused_naming_it():
    start = np.array(ARM.home)
    fast = _goal([(1.0, [0.0, -0.57, 1.57, 1.57, 0.0], [], [], [])])  # joint2 at 1 rad/s
    check_motion(fast, start, 4.8, 0.01, None, NAMES, arm=ARM)
    with pytest.raises(TrajectoryRefused, match='joint2 .* its velocity limit 0.5'):
        check_motion(fast, start, 4.8, 0.01, None, NAMES, arm=SLOW)


def test_trajectory_of_names_in_any_order_maps_to_the_arms_order():
    names = list(reversed(NAMES))
    traj = trajectory_from_points(names, NAMES, np.zeros(5),
                                  [(1.0, [5.0, 4.0, 3.0, 2.0, 1.0], [], [], [])])
    assert np.array_equal(traj.q[-1], [1.0, 2.0, 3.0, 4.0, 5.0])
    with pytest.raises(TrajectoryRefused, match='missing joint5'):
        trajectory_from_points(NAMES[:4], NAMES, np.zeros(5), [(1.0, [0.0] * 4, [], [], [])])


def test_backend_settings_take_the_arm():
    sim = make_backend(BackendSettings(arm=ARM))
    assert sim.joint_names == NAMES and np.array_equal(sim.home, ARM.home)
    assert sim.collision is not None  # the arm's own model checks its goals
    sim.set_goal(ARM.home)


def test_speed_above_the_arms_fastest_joint_is_refused():
    with pytest.raises(HardwareError, match=r'max_velocity must be in \(0, 0.5\]'):
        SimulatedArm(arm=replace(SLOW, joints=tuple(replace(j, velocity=0.5)
                                                    for j in SLOW.joints)),
                     max_velocity=1.0, collision=None)
