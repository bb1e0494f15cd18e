"""Targets in the base frame, in the calibration's tracker frame, or refused (issue 32, item 2)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.kinematics.rigid import compose, invert, pose_from_xyz_rpy
from ik_net_ros.kinematics.target_frames import FrameError, TargetFrames
from ik_net_ros.kinematics.tracker_setup import TrackerSetup
import numpy as np
import pytest

xyz_rpy = st.tuples(*[st.floats(-2.0, 2.0)] * 3 + [st.floats(-180.0, 180.0)] * 3)
frame_names = st.text(st.sampled_from('abcdkmoprwl1_'), min_size=1, max_size=8)


def _mocap(values) -> TrackerSetup:
    return TrackerSetup(frame=tuple(pose_from_xyz_rpy(values)), frame_id='mocap')


@settings(max_examples=200, deadline=None)
@given(frame=xyz_rpy, tool=xyz_rpy)
def test_a_target_in_the_tracker_frame_is_moved_into_the_base_frame(frame, tool):
    """What the tracker frame says is where the tool must be in the base frame."""
    setup = _mocap(frame)
    base_pose = pose_from_xyz_rpy(tool)
    in_tracker = compose(invert(np.asarray(setup.frame)), base_pose)
    got = TargetFrames('world', tracker=setup).to_base('mocap', in_tracker.tolist())
    np.testing.assert_allclose(got[:3], base_pose[:3], atol=1e-9)
    assert abs(abs(float(np.dot(got[3:], base_pose[3:]))) - 1.0) < 1e-9


@settings(max_examples=200, deadline=None)
@given(name=frame_names, prefix=st.sampled_from(['', 'arm1_']), empty=st.booleans())
def test_only_the_base_and_the_tracker_frame_are_taken(name, prefix, empty):
    frames = TargetFrames('world', empty, prefix, _mocap([0.5, 0, 0, 0, 0, 90]))
    pose = [0.2, 0.0, 0.1, 0.0, 0.0, 0.0, 1.0]
    if name in ('world', f'{prefix}link1'):
        assert frames.to_base(name, pose) == pose  # as it is
    elif name == 'mocap':
        assert frames.to_base(name, pose) != pose
    else:
        with pytest.raises(FrameError, match=f"'{name}'"):
            frames.to_base(name, pose)
    if empty:
        assert frames.to_base('', pose) == pose
    else:
        with pytest.raises(FrameError, match='empty'):
            frames.to_base('', pose)


@settings(max_examples=100, deadline=None)
@given(name=frame_names)
def test_the_default_frame_names_the_base_or_the_tracker_frame(name):
    setup = _mocap([0.5, 0, 0, 0, 0, 90])
    if name in ('world', 'link1', 'mocap'):
        assert TargetFrames(name, tracker=setup).default == name
    else:
        with pytest.raises(FrameError, match='mocap'):
            TargetFrames(name, tracker=setup)
    with pytest.raises(FrameError):  # no calibration: no tracker frame
        TargetFrames('mocap')


@pytest.mark.parametrize('arm_name', ['open_manipulator_x', 'omx_f'])
def test_the_node_takes_targets_in_the_arms_own_base_link(arm_name):
    """The OMX-F's base link is link0: its link1 turns with joint1, so it is refused there."""
    from ik_net_ros.arm import load_arm
    from ik_net_ros.nodes.ik_params import make_frames, PARAMETERS
    from ik_net_ros.robot_urdf import base_link_name
    arm = load_arm(arm_name)
    params = {name: spec.default for name, spec in PARAMETERS.items()}
    params.update(arm=arm_name, prefix='arm1_')
    frames = make_frames(params, arm)
    base = f'arm1_{base_link_name(arm)}'
    pose = [0.2, 0.0, 0.1, 0.0, 0.0, 0.0, 1.0]
    assert frames.base_frame == base
    assert frames.to_base(base, pose) == pose
    assert base in frames.accepted()
    for other in {'arm1_link0', 'arm1_link1'} - {base}:  # a link of the arm, not its base
        with pytest.raises(FrameError, match=f"'{other}'"):
            frames.to_base(other, pose)


def test_the_tracker_frame_hangs_from_the_base_link():
    setup = _mocap([0.5, 0, 0, 0, 0, 90])
    parent, child, _ = TargetFrames('world', tracker=setup, base_link='link0',
                                    prefix='a_').static_transforms()[0]
    assert (parent, child) == ('a_link0', 'mocap')
