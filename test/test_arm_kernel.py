"""The arm as one object: its errors, its limits, and the planar special case chosen by shape."""

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ARM_NAMES, ChainErrors, load_arm
from ik_net_ros.kinematics.legacy_geometry import legacy_arm, legacy_values, TILT_NAMES
from ik_net_ros.kinematics.limits import (
    clamp_one,
    clamp_to_limits,
    sample_joints,
    within_limits,
    within_limits_one,
)
from ik_net_ros.kinematics.planar import is_planar, NotPlanarError, planar_chain
import numpy as np
import pytest

small = st.floats(-0.01, 0.01)


@pytest.mark.parametrize('name', ARM_NAMES)
@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_limits_one_equal_vectorised(name, data):
    arm = load_arm(name)
    q = data.draw(st.lists(st.floats(-7, 7) | st.just(float('nan')), min_size=arm.dof,
                           max_size=arm.dof))
    assert within_limits_one(arm, q) == bool(within_limits(arm, np.array(q)))
    np.testing.assert_array_equal(clamp_one(arm, q), clamp_to_limits(arm, np.array(q)))
    many = np.tile(q, (300, 1))
    np.testing.assert_array_equal(clamp_to_limits(arm, many)[0], clamp_one(arm, q))


@pytest.mark.parametrize('name', ARM_NAMES)
def test_samples_inside_the_real_limits(name):
    arm = load_arm(name)
    q = sample_joints(arm, 1000, 0)
    assert q.shape == (1000, arm.dof) and within_limits(arm, q).all()


def test_errors_make_another_arm_and_upright_drops_tilts():
    arm = load_arm('omx_f')
    errors = ChainErrors([0.01] * 5, [[0.001, 0.0, 0.0]] * 5, [[0.002, 0.0]] * 5)
    real = arm.with_errors(errors)
    assert real != arm and real.nominal() == arm and real.digest == arm.digest
    assert real.has_tilts and not real.upright().has_tilts
    assert real.upright().errors.offsets == errors.offsets
    with pytest.raises(ValueError, match='errors for 4 joints'):
        arm.with_errors(ChainErrors.zeros(4))


def test_planar_shape_chosen_by_the_arm():
    assert is_planar(load_arm('open_manipulator_x')) and is_planar(load_arm('omx_f'))
    assert not is_planar(load_arm('omy_3m'))
    with pytest.raises(NotPlanarError, match='omy_3m'):
        planar_chain(load_arm('omy_3m'))
    chain = planar_chain(load_arm('omx_f'))
    assert chain.roll and chain.tool_y == pytest.approx(-0.0016)
    assert chain.tool == pytest.approx(0.0287 + 0.09193)


@given(st.lists(small, min_size=7, max_size=7), st.lists(small, min_size=4, max_size=4),
       st.lists(small, min_size=len(TILT_NAMES), max_size=len(TILT_NAMES)),
       st.booleans())
@settings(max_examples=50, deadline=None)
def test_an_old_files_geometry_reads_back_from_the_arm(links, offsets, tilts, jazzy):
    """The legacy reader's arm has the old mapping's lengths, offsets and tilts, exactly."""
    names = ('base_height', 'joint1_x', 'shoulder_height', 'upper_arm_x', 'upper_arm_z',
             'forearm', 'tool')
    nominal = legacy_values({'base_height': 0.0 if jazzy else 0.017})
    data = {k: nominal[k] + v for k, v in zip(names, links)}
    arm = legacy_arm({**data, 'joint_offsets': offsets, 'axis_tilts': tilts})
    chain = planar_chain(arm.upright())
    np.testing.assert_allclose([getattr(chain, k) for k in names], [data[k] for k in names],
                               rtol=0, atol=1e-15)
    assert chain.joint_offsets == tuple(offsets)
    assert [v for pair in arm.errors.tilts for v in pair] == list(tilts)
