"""
Frames through tf2 and the arm's placement in world (issue 35, item 3).

tf2_ros is not on PyPI: the ik node's use of it is tested with a stand-in module (a Buffer that
holds given transforms and raises tf2's exceptions), the package's own frames without it.
"""

from pathlib import Path
import sys
import types

from geometry_msgs.msg import TransformStamped
from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.kinematics.rigid import compose, invert, pose_from_xyz_rpy
from ik_net_ros.kinematics.target_frames import FrameError, TargetFrames
from ik_net_ros.kinematics.tracker_setup import TrackerSetup
from ik_net_ros.nodes.tf_targets import lookup_pose, transform_message, TransformFailed
from interface_build import interface_environment
import numpy as np
import pytest
from rclpy.time import Time
from std_msgs.msg import String
from test_ik_node import _start

xyz_rpy = st.tuples(*[st.floats(-2.0, 2.0)] * 3 + [st.floats(-180.0, 180.0)] * 3)
MOCAP = (0.6, -0.2, 0.05, 3.0, -2.0, 120.0)


def _same_pose(a, b, atol=1e-9):
    np.testing.assert_allclose(a[:3], b[:3], atol=atol)
    assert abs(abs(float(np.dot(a[3:], b[3:]))) - 1.0) < atol


# the package's own frames: the base placement -----------------------------------------------

@settings(max_examples=200, deadline=None)
@given(base=xyz_rpy, tool=xyz_rpy, prefix=st.sampled_from(['', 'arm1_']))
def test_targets_in_world_go_through_the_base_placement(base, tool, prefix):
    """In world: where the placed arm's tool must be; link1 as given; the tracker's as before."""
    placement = pose_from_xyz_rpy(base)
    setup = TrackerSetup(frame=tuple(pose_from_xyz_rpy(MOCAP)), frame_id='mocap')
    frames = TargetFrames('world', prefix=prefix, tracker=setup,
                          base=tuple(placement.tolist()))
    in_base = pose_from_xyz_rpy(tool)
    _same_pose(frames.to_base('world', compose(placement, in_base).tolist()), in_base)
    _same_pose(frames.to_base('', compose(placement, in_base).tolist()), in_base)  # default
    assert frames.to_base(f'{prefix}link1', in_base.tolist()) == in_base.tolist()
    in_mocap = compose(invert(np.asarray(setup.frame)), in_base)
    _same_pose(frames.to_base('mocap', in_mocap.tolist()), in_base)
    assert frames.known('world') and frames.known(f'{prefix}link1') and frames.known('mocap')
    assert not frames.known('camera')
    assert frames.static_transforms() == [(f'{prefix}link1', 'mocap', list(setup.frame))]


def test_without_a_calibration_no_static_transform():
    assert TargetFrames('world').static_transforms() == []


# tf2: a stand-in Buffer ---------------------------------------------------------------------

class LookupException(Exception):
    pass


class ConnectivityException(Exception):
    pass


class ExtrapolationException(Exception):
    pass


class InvalidArgumentException(Exception):
    pass


class FakeBuffer:
    """Holds (target, source) -> {stamp ns: pose}; answers as tf2's Buffer does."""

    def __init__(self, node=None):
        self.transforms = {}
        self.asked = []

    def lookup_transform(self, target, source, time):
        self.asked.append((target, source, time.nanoseconds))
        for frame, role in ((target, 'target_frame'), (source, 'source_frame')):
            if not any(frame in key for key in self.transforms):
                raise LookupException(f'"{frame}" passed to lookupTransform argument {role} '
                                      'does not exist.')
        stamps = self.transforms.get((target, source))
        if stamps is None:
            raise ConnectivityException(f'Could not find a connection between '
                                        f"'{target}' and '{source}'")
        if time.nanoseconds == 0:
            pose = stamps[max(stamps)]
        elif time.nanoseconds in stamps:
            pose = stamps[time.nanoseconds]
        else:
            raise ExtrapolationException('Lookup would require extrapolation into the future')
        return transform_message(TransformStamped, target, source, pose, Time().to_msg())


def fake_tf2() -> types.ModuleType:
    module = types.ModuleType('tf2_ros')
    module.Buffer = FakeBuffer
    module.TransformListener = lambda buffer, node: None
    for error in (LookupException, ConnectivityException, ExtrapolationException,
                  InvalidArgumentException):
        setattr(module, error.__name__, error)
    return module


@settings(max_examples=100, deadline=None)
@given(camera=xyz_rpy, later=xyz_rpy, stamp=st.integers(0, 3))
def test_a_lookup_takes_the_targets_stamp_else_the_newest(camera, later, stamp):
    buffer = FakeBuffer()
    at = {1_000: pose_from_xyz_rpy(camera).tolist(), 2_000: pose_from_xyz_rpy(later).tolist()}
    buffer.transforms[('link1', 'camera')] = at
    asked = [0, 1_000, 2_000, 1_500][stamp]  # 0: none; 1_500: no transform at it
    got = lookup_pose(buffer, fake_tf2(), 'link1', 'camera', Time(nanoseconds=asked))
    assert got == at[asked if asked in at else 2_000]
    buffer.transforms[('odom', 'map')] = at  # known to tf2, not connected to the base
    with pytest.raises(TransformFailed, match="tf2 cannot transform it to 'link1'") as e:
        lookup_pose(buffer, fake_tf2(), 'link1', 'map', Time(nanoseconds=asked))
    assert e.value.code == 'transform' and 'Could not find a connection' in str(e.value)
    with pytest.raises(FrameError, match='unknown to tf2') as e:
        lookup_pose(buffer, fake_tf2(), 'link1', 'kamera', Time(nanoseconds=asked))
    assert e.value.code == 'wrong_frame' and 'does not exist' in str(e.value)
    with pytest.raises(TransformFailed, match='"arm2_link1" passed') as e:  # no base in TF
        lookup_pose(buffer, fake_tf2(), 'arm2_link1', 'camera', Time(nanoseconds=asked))


# the ik node ----------------------------------------------------------------------------------

@pytest.fixture
def tf2(monkeypatch):
    """Make the stand-in tf2_ros importable by the ik node."""
    module = fake_tf2()
    monkeypatch.setitem(sys.modules, 'tf2_ros', module)
    return module


@pytest.mark.ros
def test_targets_in_a_tf_frame_reach_their_pose(ros, tf2):
    """A camera frame tf2 knows: the tool goes where the target says; others refused, why."""
    camera = (0.3, 0.5, 0.9, 170.0, 10.0, -60.0)  # every input: the lookup's property above
    node, probe = _start(ros)
    node.tf.buffer.transforms[('link1', 'camera')] = {
        1: pose_from_xyz_rpy(camera).tolist()}  # only an old one: the newest is taken
    node.tf.buffer.transforms[('odom', 'map')] = {1: [0.0] * 6 + [1.0]}
    status = []
    probe.node.create_subscription(String, 'target_status', status.append, 10)
    assert ros.spin_until(lambda: node.status_pub.get_subscription_count() > 0)
    tool = forward_kinematics([0.4, 0.2, -0.3, 0.5])
    probe.send(compose(invert(pose_from_xyz_rpy(camera)), tool), frame='camera')
    assert ros.spin_until(lambda: probe.commands)
    reached = forward_kinematics(np.array(probe.commands[-1].position))
    assert np.linalg.norm(reached[:3] - tool[:3]) < 1e-6
    for frame, reason in (('map', 'refused (transform)'), ('kamera', 'refused (wrong_frame)')):
        count = len(status)
        probe.send(tool, frame=frame)
        assert ros.spin_until(lambda n=count: len(status) > n and status[-1].data)
        assert status[-1].data.startswith(reason) and frame in status[-1].data
    assert len(probe.commands) == 1
    probe.send(tool, frame='world')  # the package's own frames never ask tf2
    assert ros.spin_until(lambda: len(probe.commands) == 2)
    assert all(source in ('camera', 'map', 'kamera') for _, source, _ in node.tf.buffer.asked)


@pytest.mark.ros
def test_without_tf2_a_frame_the_package_does_not_know_is_refused(ros, monkeypatch):
    monkeypatch.setitem(sys.modules, 'tf2_ros', None)  # import fails, as in the venv
    node, probe = _start(ros)
    status = []
    probe.node.create_subscription(String, 'target_status', status.append, 10)
    assert ros.spin_until(lambda: node.status_pub.get_subscription_count() > 0)
    probe.send(forward_kinematics([0.4, 0.2, -0.3, 0.5]), frame='camera')
    assert ros.spin_until(lambda: status and status[-1].data)
    assert status[-1].data.startswith("refused (wrong_frame): target in frame 'camera'")
    assert 'without tf2' in status[-1].data and probe.commands == []


@pytest.mark.ros
def test_an_arm_placed_in_world_reaches_targets_given_in_world(ros):
    """base_xyz_rpy: world and link1 are two frames; a target in either reaches its pose."""
    placement = [1.5, -0.4, 0.75, 0.0, 0.0, 90.0]
    node, probe = _start(ros, base_xyz_rpy=placement)
    tool = forward_kinematics([0.4, 0.2, -0.3, 0.5])  # in link1
    for i, (frame, pose) in enumerate((('world', compose(pose_from_xyz_rpy(placement), tool)),
                                       ('link1', tool)), start=1):
        probe.send(pose, frame=frame)
        assert ros.spin_until(lambda i=i: len(probe.commands) == i)
        reached = forward_kinematics(np.array(probe.commands[-1].position))
        assert np.linalg.norm(reached[:3] - tool[:3]) < 1e-6, frame


# the URDF robot_state_publisher sends: world -> <prefix>link1 -------------------------------

def _urdf_origin(urdf: str, prefix: str) -> np.ndarray:
    """Return the world_fixed joint's transform (4x4) as URDF defines rpy: Rz(y) Ry(p) Rx(r)."""
    import re
    block = re.search(rf'<child link="{prefix}link1"/>\s*<origin xyz="([^"]+)" rpy="([^"]+)"/>',
                      urdf)
    xyz = [float(v) for v in block.group(1).split()]
    r, p, y = (float(v) for v in block.group(2).split())
    rx = np.array([[1, 0, 0], [0, np.cos(r), -np.sin(r)], [0, np.sin(r), np.cos(r)]])
    ry = np.array([[np.cos(p), 0, np.sin(p)], [0, 1, 0], [-np.sin(p), 0, np.cos(p)]])
    rz = np.array([[np.cos(y), -np.sin(y), 0], [np.sin(y), np.cos(y), 0], [0, 0, 1]])
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = rz @ ry @ rx, xyz
    return out


@settings(max_examples=100, deadline=None)
@given(base=xyz_rpy, prefix=st.sampled_from(['', 'arm1_']),
       description=st.sampled_from(['humble', 'jazzy']))
def test_the_urdf_places_the_arm_where_the_ik_node_does(base, prefix, description):
    """What TF says world -> link1 is, is the ik node's base placement (same numbers)."""
    from ik_net_ros.kinematics.rotations import quat_to_matrix
    from ik_net_ros.resources import robot_description
    urdf = robot_description(description, prefix, list(base))
    placement = pose_from_xyz_rpy(base)
    got = _urdf_origin(urdf, prefix)
    np.testing.assert_allclose(got[:3, 3], placement[:3], atol=1e-12)
    np.testing.assert_allclose(got[:3, :3], quat_to_matrix(placement[3:]), atol=1e-9)
    assert robot_description(description, prefix, [0.0] * 6) == \
        robot_description(description, prefix)  # zeros: one frame, as before


def test_a_placement_that_is_not_six_numbers_is_refused():
    from ik_net_ros.resources import robot_description
    for bad in ([1.0] * 5, [float('nan')] + [0.0] * 5, [500.0] + [0.0] * 5):
        with pytest.raises(ValueError, match='base_xyz_rpy'):
            robot_description('humble', '', bad)


# the tracker frame on /tf_static, with tf2_msgs generated where it is not installed ---------

@pytest.fixture(scope='session')
def tf2_msgs_env(request, tmp_path_factory):
    """Environment in which ``tf2_msgs.msg`` imports: the installed one, or generated here."""
    return interface_environment(request, tmp_path_factory, 'tf2_msgs.msg', ('tf2_msgs',))


@pytest.mark.ros
@pytest.mark.parametrize('prefix', ['', 'arm1_'])
def test_the_calibrated_tracker_frame_is_on_tf_static(tf2_msgs_env, tmp_path, prefix):
    """As StaticTransformBroadcaster: transient local, so a late listener still gets it."""
    import json
    import subprocess
    path = tmp_path / 'mocap.yaml'
    path.write_text('format: ik_net_ros.calibration\nversion: 2\ngeometry: {}\n'
                    f'tracker: {{frame_id: mocap, frame_xyz_rpy: {list(MOCAP)}, '
                    'marker_xyz_rpy: [0, 0, 0, 0, 0, 0], latency_s: 0.0}\n')
    here = Path(__file__).resolve().parent
    proc = subprocess.run([sys.executable, str(here / 'tf_static_probe.py'), str(path), prefix],
                          env=tf2_msgs_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['durability'] == 1  # TRANSIENT_LOCAL
    [transform] = out['transforms']
    assert (transform['parent'], transform['child']) == (f'{prefix}link1', 'mocap')
    _same_pose(np.asarray(transform['pose']), pose_from_xyz_rpy(MOCAP))
