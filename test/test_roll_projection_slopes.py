"""
The closed-form slopes of the OMX-F's roll projection against the geometry they stand for.

The plane's iteration takes the wrist's offset across the plane and its slope in closed form
(``_lateral``): they are the offset of the wrist of the rotation :func:`into_plane` turns (the
geometry itself) and its derivative. The roll's iteration takes the trace and its first two
derivatives analytically (``_trace_slopes``): they are :func:`_best_pitch`'s trace and its
differences. The answer is then the trace's stationary point to rounding (finite differences
left the roll about 1e-9 rad off it), on the OMX-F and on its chain with other TCP offsets.
"""

from dataclasses import replace
import math

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.roll_projection import (
    _best_pitch,
    _euler,
    _lateral,
    _trace_slopes,
    into_plane,
    nearest_rotations,
    project_rotations,
)
from ik_net_ros.kinematics.roll_projection_one import _lateral as lateral_one
from ik_net_ros.kinematics.roll_projection_one import _trace_slopes as trace_slopes_one
from ik_net_ros.kinematics.roll_wrist import wrist_points
from ik_net_ros.kinematics.rotations import quat_to_matrix
import numpy as np
from propcheck import fixed_examples
import pytest

ARM = load_arm('omx_f')
CHAIN = planar_chain(ARM.upright())
CHAINS = {'omx_f': CHAIN, 'tool_z': replace(CHAIN, tool_y=0.0, tool_z=0.004),
          'both': replace(CHAIN, tool_y=0.003, tool_z=-0.002)}
SETTINGS = fixed_examples(60)
QUATS = st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(
    lambda q: np.linalg.norm(q) > 0.1)
JOINTS = st.tuples(*(st.floats(lo, hi) for lo, hi in ARM.limits))


def _rotation(quat) -> np.ndarray:
    """Return the rotation (1, 3, 3) of a quaternion, normalised."""
    quat = np.asarray(quat, float)
    return quat_to_matrix((quat / np.linalg.norm(quat))[None])


def _offset(p, rotation, a, c) -> float:
    """Return the wrist's offset across the plane of azimuth ``a`` after :func:`into_plane`."""
    ca, sa = np.cos([a]), np.sin([a])
    w = wrist_points(p[None], into_plane(rotation, ca, sa), c)[0]
    return -(w[0] - c.joint1_x) * sa[0] + w[1] * ca[0]


XYZ = st.tuples(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3), st.floats(-0.2, 0.4))


@pytest.mark.parametrize('name', CHAINS)
@SETTINGS
@given(quat=QUATS, xyz=XYZ, a=st.floats(-math.pi, math.pi))
def test_the_plane_offset_and_its_slope_are_the_turned_wrist(name, quat, xyz, a):
    c, p, rotation = CHAINS[name], np.array(xyz), _rotation(quat)
    s = -rotation[0, 0, 0] * math.sin(a) + rotation[0, 1, 0] * math.cos(a)
    if 1.0 - abs(s) < 1e-3:  # the x axis (nearly) normal to the plane: the turn is singular
        return
    f, slope = (v[0] for v in _lateral(p[None], rotation, np.array([a]), c))
    assert abs(f - _offset(p, rotation, a, c)) < 1e-15
    h = 1e-6
    numeric = (_offset(p, rotation, a + h, c) - _offset(p, rotation, a - h, c)) / (2 * h)
    assert abs(slope - numeric) < 1e-7 * (1.0 + abs(slope))
    one = lateral_one(p.tolist(), tuple(map(tuple, rotation[0])), a, c)
    np.testing.assert_allclose(one, (f, slope), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('name', CHAINS)
@SETTINGS
@given(quat=QUATS, rho=st.floats(0.0, 0.4), psi=st.floats(-math.pi, math.pi),
       q5=st.floats(-math.pi, math.pi))
def test_the_trace_and_its_derivatives_are_best_pitch_and_its_differences(
        name, quat, rho, psi, q5):
    c, rotation = CHAINS[name], _rotation(quat)
    offset = math.hypot(c.tool_y, c.tool_z)
    # the plane's clip (the TCP nearer joint1's axis than its offset) kinks the trace
    d = c.tool_y * math.cos(q5) - c.tool_z * math.sin(q5)
    if rho < offset + 0.005 and abs(abs(d) - rho) < 0.002:
        return
    args = (rotation, np.array([rho]), np.array([psi]))
    g, slope, curve = (v[0] for v in _trace_slopes(*args, np.array([q5]), c))
    trace = _best_pitch(*args, np.array([q5]), c)[0][0]
    assert g == trace
    if _best_pitch(*args, np.array([q5]), c)[0][0] > 3.0 - 1e-6:  # hypot's kink at the request
        return
    h = 1e-5
    up, down = (_best_pitch(*args, np.array([q5 + s]), c)[0][0] for s in (h, -h))
    assert abs(slope - (up - down) / (2 * h)) < 1e-7 * (1.0 + abs(slope))
    assert abs(curve - (up - 2 * trace + down) / (h * h)) < 1e-4 * (1.0 + abs(curve))
    one = trace_slopes_one(tuple(map(tuple, rotation[0])), rho, psi, q5, c)
    np.testing.assert_allclose(one, (g, slope, curve), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('name', CHAINS)
@SETTINGS
@given(q=JOINTS, quat=QUATS)
def test_the_nearest_rotation_is_the_traces_stationary_point(name, q, quat):
    """Away from joint1's axis the answer's roll is the trace's maximum to rounding."""
    c = CHAINS[name]
    pose = chain_forward(ARM, np.array(q))
    dx, dy = pose[0] - c.joint1_x, pose[1]
    rho, psi = math.hypot(dx, dy), math.atan2(dy, dx)
    if rho < 0.02:
        return
    rotation = _rotation(quat)
    best = nearest_rotations(pose[None], rotation, c)[0]
    if np.array_equal(best, project_rotations(pose[None], rotation, c)[0]):
        return  # the start kept: as near as the maximum to 1e-12 rad (the rule's tie)
    b = math.atan2(best[1, 0], best[0, 0])
    cb, sb = math.cos(b), math.sin(b)
    roll = math.atan2(sb * best[0, 2] - cb * best[1, 2], -sb * best[0, 1] + cb * best[1, 1])
    rolls = np.array([roll, roll + math.pi])  # the x axis may point back (pitch past 90 deg)
    g, slope, curve = _trace_slopes(np.repeat(rotation, 2, axis=0), np.full(2, rho),
                                    np.full(2, psi), rolls, c)
    _, a, phi = _best_pitch(np.repeat(rotation, 2, axis=0), np.full(2, rho), np.full(2, psi),
                            rolls, c)
    k = int(np.argmin(np.abs(_euler(a, phi, rolls) - best).max(axis=(1, 2))))
    g, slope, curve = g[k], slope[k], curve[k]
    if g > 3.0 - 1e-6:  # the request itself (nearly) feasible: the trace has a kink there
        return
    assert curve <= 0.0
    assert abs(slope) < 1e-11
