"""
The OMY's one-pose paths in plain floats against their references, bit for bit.

``every_branch_one`` and ``ur_inverse_one`` take the one loop over the eight branches: the
eight-branch answer is, exactly, the nearest accepted of ``ur_inverse_one``'s reachable branches.
"""

import math

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.ur_closed_form_one import (
    _first_accepted,
    _joint_ranges,
    every_branch_one,
    ur_inverse_one,
)
import numpy as np
from propcheck import fixed_examples
from test_ur_closed_form import ARMS, UNIT

SETTINGS = fixed_examples(40)


@SETTINGS
@given(name=st.sampled_from(sorted(ARMS)), unit=UNIT,
       step=st.lists(st.floats(-math.pi, math.pi), min_size=6, max_size=6),
       wrist=st.sampled_from([None, 0.0, 1e-12, 1e-7, math.pi]), refuse=st.booleans())
def test_every_branch_is_the_nearest_of_the_eight_solutions(name, unit, step, wrist, refuse):
    """every_branch_one == the nearest accepted reachable branch of ur_inverse_one, exactly."""
    arm = ARMS[name]
    q = arm.lower + np.array(unit) * (arm.upper - arm.lower)
    if wrist is not None:  # on or near the wrist's singular set: free joints, twin branches
        q[4] = wrist
    seed = np.clip(q + np.array(step), arm.lower, arm.upper).tolist()
    pose = chain_forward(arm, q).tolist()
    accept = (lambda j: (j[0] * 7.3) % 1.0 > 0.3) if refuse else None
    one = ur_inverse_one(arm, pose, free=seed)
    candidates = [(b, joints, bits) for b, (joints, ok, bits)
                  in enumerate(zip(one.joints, one.reachable, one.singular)) if ok]
    found = _first_accepted(candidates, seed, _joint_ranges(arm), accept)
    expected = (None, -1, 0) if found is None else (found[2], found[1], found[3])
    assert every_branch_one(arm, pose, seed, accept) == expected
