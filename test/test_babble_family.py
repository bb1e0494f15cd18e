"""
Babble goals of a UR-layout arm (the OMY) lie in its home branch family (issue 34 item 5).

Its learned IK and the learned correction on top are of that family; a recorded row of another
family is left out of a correction's training. Goals uniform in the limits put 7 in 8 rows there;
goals drawn in the family give the correction its rows. A planar arm's goals are as they were.
"""


from hypothesis import given, HealthCheck, Phase, settings
from hypothesis import strategies as st
from ik_net_ros.arm import load_arm
from ik_net_ros.data import PoseJointSet
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.paths import babble_joints
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.kinematics.ur_branches import family_configurations, family_solution, in_family
from ik_net_ros.sim.true_arm_recording import record
from ik_net_ros.training.real_arm_data import correction_set, measured_set, OTHER_BRANCH
import numpy as np

OMY = load_arm('omy_f3m')
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.generate])  # a shrink re-records for minutes


def _in_the_family_nearest_home(arm, goals, margin):
    """Assert goals (N, 6) are home-family answers of their own poses, margin inside limits."""
    assert in_family(arm, goals).all()
    answer = family_solution(arm, chain_forward(arm, goals))
    assert answer.found.all()
    np.testing.assert_allclose(answer.joints, goals, atol=1e-9)  # each joint the turn near home
    assert np.all((goals >= arm.lower + margin - 1e-12) & (goals <= arm.upper - margin + 1e-12))


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from(['omy_f3m', 'omy_3m']),
       st.floats(0.0, 0.2))
def test_omy_babble_goals_are_in_the_home_family(seed, name, margin):
    """Without a collision model: every goal the family's answer of its pose, inside the margin."""
    arm = load_arm(name)
    rng = np.random.default_rng(seed)
    goals = np.array([babble_joints(rng, margin, arm=arm) for _ in range(40)])
    _in_the_family_nearest_home(arm, goals, margin)
    assert len(np.unique(goals.round(6), axis=0)) == len(goals)  # still random


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1))
def test_omy_babble_goals_with_a_collision_model_stay_in_the_family_and_clear(seed):
    """As the collector draws them: from where the arm is, clear, the path clear, the family."""
    collision = CollisionModel(OMY)
    rng = np.random.default_rng(seed)
    start, goals = np.array(OMY.home), []
    for _ in range(8):
        goal = babble_joints(rng, collision=collision, start=start, arm=OMY)
        assert collision.check_path(start, goal)[0]
        goals.append(goal)
        start = goal
    goals = np.array(goals)
    assert collision.check(goals).clear.all()
    assert in_family(OMY, goals).all()


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1), st.floats(0.0, 0.2))
def test_a_planar_arms_babble_goals_are_uniform_in_its_limits_as_before(seed, margin):
    """The OM-X's schedule unchanged: the same draws of the same generator, so its figures."""
    arm = load_arm('open_manipulator_x')
    rng, same = np.random.default_rng(seed), np.random.default_rng(seed)
    for _ in range(20):
        np.testing.assert_array_equal(babble_joints(rng, margin, arm=arm),
                                      same.uniform(arm.lower + margin, arm.upper - margin))


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1))
def test_family_configurations_put_the_tool_where_the_drawn_joints_do(seed):
    """The one rule: a drawn configuration's pose, answered in the home family."""
    drawn = np.random.default_rng(seed).uniform(OMY.lower, OMY.upper, (50, 6))
    choice = family_configurations(OMY, drawn)
    assert choice.found.mean() > 0.5
    got = chain_forward(OMY, choice.joints[choice.found])
    np.testing.assert_allclose(got[:, :3], chain_forward(OMY, drawn[choice.found])[:, :3],
                               atol=1e-9)
    assert in_family(OMY, choice.joints[choice.found]).all()
    one = family_configurations(OMY, drawn[0])
    assert one.joints.shape == (6,) and bool(one.found) == bool(choice.found[0])


@SETTINGS
@given(st.integers(0, 2 ** 16))
def test_a_simulated_omy_recording_keeps_its_rows_for_the_correction(seed):
    """
    Nearly every recorded row is the correction's: none of another family but at its edges.

    The goals are the described arm's family; the calibrated arm's branch of the same joints
    differs only next to a branch boundary (a singular set), and there the family's answer
    jumps (over MAX_CORRECTION: left out too). Uniform goals left 7 in 8 rows out.
    """
    true = TrueArm.random(seed, base=OMY, sag_deg=0.5)
    data = record(true, 150, np.random.default_rng(seed + 1), 3e-4, np.radians(0.2))
    assert in_family(OMY, data.joints).all()
    labels, dropped = correction_set(measured_set(data), true.arm)
    assert dropped.get(OTHER_BRANCH, 0) <= 0.05 * len(data)
    assert len(labels) >= 0.85 * len(data)
    assert isinstance(labels, PoseJointSet)
