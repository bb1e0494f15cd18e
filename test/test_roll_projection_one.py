"""
The plain-float projection of one pose of an arm with a wrist roll against the vectorised one.

:func:`~ik_net_ros.kinematics.roll_projection_one.nearest_rotation_one` is
:func:`~ik_net_ros.kinematics.roll_projection.nearest_rotations` of one row: the same rotation to
rounding where both iterations settle (the roll's search stops within ROLL_TOLERANCE of a flat
minimum, so the two may stop a few 1e-11 apart, equally near the request to 1e-12 rad), on the
OMX-F and on its chain with other TCP offsets; and ``project_and_solve_one`` of a pose the arm
cannot take as given answers as the vectorised projection and closed form, near joint1's axis
too.
"""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.inverse import closed_form, closed_form_one
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.projection import project_and_solve
from ik_net_ros.kinematics.projection_one_pose import project_and_solve_one
from ik_net_ros.kinematics.rigid import matrix_to_quat
from ik_net_ros.kinematics.roll_projection import nearest_rotations
from ik_net_ros.kinematics.roll_projection_one import nearest_rotation_one
from ik_net_ros.kinematics.rotations import quat_angle, quat_to_matrix
import numpy as np
from propcheck import fixed_examples
import pytest

ARM = load_arm('omx_f')
CHAIN = planar_chain(ARM.upright())
SETTINGS = fixed_examples(120)
JOINTS = st.tuples(*(st.floats(lo, hi) for lo, hi in ARM.limits))
QUATS = st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(
    lambda q: np.linalg.norm(q) > 0.1)
CHAINS = {'omx_f': CHAIN, 'tool_z': replace(CHAIN, tool_y=0.0, tool_z=0.004),
          'both': replace(CHAIN, tool_y=0.003, tool_z=-0.002), 'none': replace(CHAIN, tool_y=0.0)}


def _pose(q, quat, mix):
    """Return a reachable pose's position with a rotation between its own and ``quat``."""
    pose = chain_forward(ARM, np.array([q]))[0]
    rotation = (1 - mix) * pose[3:] + mix * np.array(quat) / np.linalg.norm(quat)
    if np.linalg.norm(rotation) < 1e-3:
        rotation = pose[3:]
    pose[3:] = rotation / np.linalg.norm(rotation)
    return pose


@pytest.mark.parametrize('name', CHAINS)
@SETTINGS
@given(q=JOINTS, quat=QUATS, mix=st.sampled_from([0.0, 1e-6, 0.01, 0.3, 1.0]))
def test_the_one_pose_projection_is_the_vectorised_one(name, q, quat, mix):
    c = CHAINS[name]
    pose = _pose(q, quat, mix)
    rotation = quat_to_matrix(pose[None, 3:])
    many = nearest_rotations(pose[None], rotation, c)[0]
    one = nearest_rotation_one(pose[:3].tolist(), tuple(map(tuple, rotation[0])), c)
    if one is None:  # an iteration did not settle: project_and_solve_one takes the vectorised
        return
    one = np.array(one)
    np.testing.assert_allclose(one, many, rtol=0, atol=1e-9)
    turns = quat_angle(matrix_to_quat(np.array([one, many])), pose[3:])
    assert abs(turns[0] - turns[1]) < 1e-12


@SETTINGS
@given(q=JOINTS, quat=QUATS, mix=st.sampled_from([1e-6, 0.01, 0.3, 1.0]))
def test_the_one_pose_solution_is_the_vectorised_one(q, quat, mix):
    pose = _pose(q, quat, mix)
    projected, sol = project_and_solve(pose[None], ARM)
    target, one = project_and_solve_one(pose.tolist(), ARM)
    np.testing.assert_allclose(target, projected[0], rtol=0, atol=1e-9)
    assert one.reason == sol.reason[0]
    if one.reachable:
        np.testing.assert_allclose(closed_form_one(one), closed_form(sol)[0], rtol=0, atol=1e-9)


NEAR_AXIS = [-0.007982959762966483, -0.0024118350857210385, -0.34618646998042996,
             0.16472298174763247, -0.51390185568052, -0.8118463482978526, 0.22288276911356097]


@pytest.mark.parametrize('seed', [0, 1])
def test_near_joint1_axis_the_one_pose_path_answers_as_the_vectorised(seed):
    """
    Near joint1's axis the plane's iteration may pass an extremum and find another root.

    There the float path defers to the vectorised one, so both answer alike (NEAR_AXIS: the
    plane's iterations of the two diverged by rounding, 0.99 apart in the quaternion).
    """
    from ik_net_ros.kinematics.projection_one_pose import _roll_many
    rng = np.random.default_rng(seed)
    poses = np.empty((200, 7))
    poses[:, :2] = rng.normal(0.0, 0.004, (200, 2)) + [CHAIN.joint1_x, 0.0]
    poses[:, 2] = rng.uniform(-0.4, 0.4, 200)
    poses[:, 3:] = rng.normal(size=(200, 4))
    poses[:, 3:] /= np.linalg.norm(poses[:, 3:], axis=1, keepdims=True)
    for pose in [NEAR_AXIS, *poses.tolist()]:
        target, one = project_and_solve_one(pose, ARM)
        want, many = _roll_many(pose, ARM)
        np.testing.assert_allclose(target, want, rtol=0, atol=1e-9)
        assert one.reason == many.reason and one.valid == many.valid
