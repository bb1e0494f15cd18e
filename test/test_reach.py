"""Projection of arbitrary targets onto the orientations the arm can take."""

from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import (
    forward_kinematics,
    is_reachable,
    project_pose,
    quat_to_matrix,
    sample_joints,
)
from ik_net_ros.kinematics.inverse import ik_solutions, REACHABLE
from ik_net_ros.kinematics.rotations import quat_from_yaw_pitch
import numpy as np

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def _random_quats(rng, n):
    q = rng.normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def test_projection_is_identity_on_reachable_poses(rng):
    poses = forward_kinematics(sample_joints(OMX, 2000, rng))
    np.testing.assert_allclose(project_pose(poses), poses, atol=1e-12)


def test_projection_keeps_position_removes_roll_and_keeps_pitch(rng):
    poses = forward_kinematics(sample_joints(OMX, 500, rng))
    requested = poses.copy()
    requested[:, 3:] = _random_quats(rng, 500)
    projected = project_pose(requested)
    np.testing.assert_allclose(projected[:, :3], requested[:, :3])
    rot = quat_to_matrix(projected[:, 3:])
    np.testing.assert_allclose(rot[:, 2, 1], 0.0, atol=1e-12)  # tool y axis horizontal: no roll
    # the tool x axis keeps the requested pitch (angle to the horizontal plane)
    req_x = quat_to_matrix(requested[:, 3:])[:, :, 0]
    np.testing.assert_allclose(rot[:, 2, 0], req_x[:, 2], atol=1e-12)
    # and the result is now an arm orientation (the closed form accepts it as consistent)
    sol = ik_solutions(projected)
    assert np.all(sol.reason != 3)


def test_projection_prefers_reachable_candidate():
    # A pose in front of the arm, asked with the roll of the reaching-behind candidate (same
    # tool x axis, yaw + pi): the y-axis rule prefers that candidate, but it is unreachable
    # there, so the forward one is taken.
    q = np.array([0.0, 0.3, 0.2, 0.1])
    pose = forward_kinematics(q)
    requested = pose.copy()
    requested[3:] = quat_from_yaw_pitch(np.pi, np.pi - q[1:].sum())
    projected = project_pose(requested)
    assert ik_solutions(projected).reason[0] == REACHABLE
    np.testing.assert_allclose(projected, pose, atol=1e-12)


def test_is_reachable(rng):
    poses = forward_kinematics(sample_joints(OMX, 100, rng))
    assert is_reachable(poses).all()
    assert not is_reachable([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    rolled = poses[0].copy()
    rolled[3:] = [np.sin(0.3), 0.0, 0.0, np.cos(0.3)]
    assert not is_reachable(rolled, project=False)


def test_nearest_answers_the_reachable_pose_nearest_an_unreachable_target():
    """
    on_unreachable='nearest': the tool goes to the reachable point nearest the target.

    No farther than the best of 300,000 random joint vectors, and the network solvers within their
    accuracy of it; then the orientation nearest among the ways there. For [1, 0, 0] focused used
    to put the tool behind the base, 1.19 m off.
    """
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from ik_net_ros import load_solver
    from ik_net_ros.kinematics import forward_kinematics, is_reachable, sample_joints
    reached = forward_kinematics(sample_joints(OMX, 300_000, 7))[:, :3]
    # beside it: the vectorised path (> 64)
    fillers = forward_kinematics(sample_joints(OMX, 80, 8))
    solvers = {name: load_solver(name) for name in ('analytic', 'focused')}
    coordinate = st.floats(-0.8, 0.8, allow_nan=False)

    @settings(max_examples=25, deadline=None, derandomize=True, database=None)
    @given(st.tuples(coordinate, coordinate, coordinate),
           st.sampled_from(['one', 'rows', 'batch']))
    def check(position, path):
        pose = np.array([*position, 0.0, 0.0, 0.0, 1.0])
        if is_reachable(pose[None])[0]:
            return
        best = np.min(np.linalg.norm(reached - pose[:3], axis=1))
        for name, solver in solvers.items():
            batch = {'one': pose, 'rows': np.vstack([fillers[:3], pose]),
                     'batch': np.vstack([fillers, pose])}[path]
            joints = solver.solve(batch,
                                  on_unreachable='nearest')
            tool = forward_kinematics(np.atleast_2d(joints)[-1])[:3]
            gap = np.linalg.norm(tool - pose[:3])
            assert gap <= best + (1e-4 if name == 'analytic' else 3e-3), (name, gap, best)

    check()
    far = solvers['focused'].solve(np.array([1.0, 0, 0, 0, 0, 0, 1]), on_unreachable='nearest')
    assert forward_kinematics(far)[0] > 0.35  # stretched towards it, not behind the base
