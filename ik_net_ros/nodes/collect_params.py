"""
The collect node's parameters: one table (default, description, rule).

Kept beside the node (as the driver's are) so the node's file holds its work.
"""

from __future__ import annotations

from ik_net_ros.nodes.driver_params import CALIBRATION
from ik_net_ros.nodes.params import (
    ARM,
    description_spec,
    EXECUTOR,
    int_in,
    joint_names_rule,
    number_in,
    period,
    PERIOD_NEED,
    PREFIX,
    Spec,
    TABLE_CLEARANCE,
    topic_name,
    WORKSPACE,
)

__all__ = ['PARAMETERS', 'PAIR_PERIOD', 'CLOCK_JUMP']

PAIR_PERIOD = 0.1  # s between decisions of waiting states: rows reach the file within
# measured_wait + 0.1 s of their joint state
CLOCK_JUMP = 0.5  # s back of this node's clock that starts a new pairing epoch

PARAMETERS = {  # and 'output', whose default is made at start
    'arm': ARM,
    'min_joint_change': Spec(0.001, 'rad: skip a state whose joints all moved less than this '
                                    'since the last row (without a tracker: with one, every '
                                    'measurement is a row)', number_in(0.0, 10.0),
                             'an angle in [0, 10] rad'),
    'max_rate': Spec(100.0, 'rows per second at most (0: every state; without a tracker: with '
                            "one, the tracker's rate is the rate)",
                     lambda v: number_in(0.0, 0.0)(v) or number_in(1e-3, 1e6)(v),
                     '0 or a rate in [0.001, 1e6] Hz'),
    'description': description_spec('whose forward kinematics gives the recorded poses'),
    'joint_names': Spec([], "names of the arm's joints in joint_states, in chain order (others "
                            "are ignored); empty: the arm's own (joint1..jointN)",
                        joint_names_rule, '[] or one distinct name per joint of the arm',
                        fixed=True),
    'report_period': Spec(5.0, 'seconds between coverage logs', period, PERIOD_NEED,
                          fixed=True),
    'measured_pose_topic': Spec('', 'PoseStamped of a tracker (camera marker, motion capture, '
                                    'probe), in any one frame (named in <output>.tracker.yaml; '
                                    'calibrate estimates it): each measurement is a row, its '
                                    'pose beside the FK pose (mx..mqw), the joint velocities '
                                    'too (vjoint1..4). Empty: none',
                                lambda v: v == '' or topic_name(v), "'' or a topic name",
                                fixed=True),
    'measured_tolerance': Spec(0.02, "seconds from a measurement's instant to the joint states "
                                     'it is interpolated between, on either side (about two '
                                     'joint-state periods: states farther apart are never '
                                     'paired); measurements without them are counted, not '
                                     'written', number_in(1e-4, 1.0),
                               'a time in [0.0001, 1] s', fixed=True),
    'measured_latency': Spec(0.0, "seconds the tracker's stamps are late: a measurement shows "
                                  'the arm at its stamp minus this (calibrate estimates what is '
                                  'left)', number_in(-1.0, 1.0), 'a time in [-1, 1] s',
                             fixed=True),
    'measured_max_speed': Spec(0.3, 'rad/s: a measurement of an arm with a joint faster than '
                                    'this is not written (counted): a tracker sees a moving arm '
                                    'late and blurred, a still one best; 0: every one',
                               number_in(0.0, 100.0), 'a speed in [0, 100] rad/s', fixed=True),
    'measured_wait': Spec(0.5, 'seconds (receive clock) a measurement waits for the joint '
                               'states around its instant before it is decided: more than the '
                               "joint states' latency beyond the tracker's",
                          number_in(0.01, 0.9), 'a time in [0.01, 0.9] s', fixed=True),
    'table_clearance': TABLE_CLEARANCE,
    'workspace': WORKSPACE,
    'calibration': CALIBRATION,
    'babble': Spec(False, 'drive the arm through random configurations (simulated arm, no '
                          'hardware needed)'),
    'babble_period': Spec(1.0, 'seconds between babble goals', period, PERIOD_NEED,
                          fixed=True),
    'babble_settle': Spec(0.0, 'stop-and-go babble: seconds the arm stays at a reached goal '
                               'before the next one (rows taken still, as a tracker wants them; '
                               '0: a goal every babble_period)', number_in(0.0, 60.0),
                          'a time in [0, 60] s', fixed=True),
    'babble_timeout': Spec(30.0, 'stop-and-go babble: seconds a goal may take to be reached '
                                 'before another is chosen (as one the driver refuses is)',
                           number_in(0.1, 3600.0), 'a time in [0.1, 3600] s', fixed=True),
    'seed': Spec(0, 'seed of the babbling', int_in(0, 2**63 - 1), 'an integer >= 0',
                 fixed=True),
    'prefix': PREFIX,
    'executor': EXECUTOR,
}
