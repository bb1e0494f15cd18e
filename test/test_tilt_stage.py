"""
The tilt stage by corrections of the planar closed form (issue 36, item 2).

One pose in plain floats and a batch vectorised take the same steps: each answer the stage
takes puts the leaning arm's tool where the planar answer's tool is (position and pitch, to the
stage's tolerance, or no farther than the planar answer), inside the limits, no joint moved more
than TILT_STEP; one pose and the same pose in a batch agree.
"""

import math

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ChainErrors, default_arm
from ik_net_ros.kinematics import sample_joints
from ik_net_ros.kinematics.forward import leaning_reach
from ik_net_ros.solver.refine import TILT_STEP, TILT_TOLERANCE
from ik_net_ros.solver.tilt_stage import refine_for_tilts
import numpy as np

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
TILTS = st.lists(st.floats(-math.radians(3), math.radians(3)), min_size=8, max_size=8)
OFFSETS = st.lists(st.floats(-0.03, 0.03), min_size=4, max_size=4)


@SETTINGS
@given(tilts=TILTS, offsets=OFFSETS, seed=st.integers(0, 2 ** 16))
def test_one_pose_and_a_batch_reach_the_planar_tool_alike(tilts, offsets, seed):
    arm = OMX.with_errors(ChainErrors(offsets, np.zeros((4, 3)), np.reshape(tilts, (4, 2))))
    q0 = sample_joints(OMX, 40, np.random.default_rng(seed))
    target = leaning_reach(q0, arm.upright())[0]
    before = np.linalg.norm(target - leaning_reach(q0, arm)[0], axis=1)
    q, ok = refine_for_tilts(q0, arm)
    miss = np.linalg.norm(target - leaning_reach(q, arm)[0], axis=1)
    assert np.all((q >= OMX.lower) & (q <= OMX.upper))
    assert np.all(np.abs(q - q0)[ok] <= TILT_STEP)
    assert np.all(miss[ok] <= before[ok] + 1e-15)
    np.testing.assert_array_equal(q[~ok], q0[~ok])  # declined: the planar answer stands
    for k in range(len(q0)):
        q1, ok1 = refine_for_tilts(q0[k], arm)
        miss1 = np.linalg.norm(target[k] - leaning_reach(q1, arm)[0], axis=1)[0]
        assert ok1[0] == ok[k]
        if ok[k] and max(miss[k], miss1) > TILT_TOLERANCE:  # not converged: no worse than planar
            assert miss1 <= before[k] + 1e-15
        elif ok[k]:
            assert miss1 < TILT_TOLERANCE
