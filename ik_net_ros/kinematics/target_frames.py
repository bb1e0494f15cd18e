"""
Which frames a target may be given in, and how it gets into the arm's base frame.

The package itself knows three frames: the arm's base link ``<prefix><base_link>`` (ROBOTIS's
base link, where the solver works: the OM-X's link1, the OMX-F's link0, whose link1 turns with
joint1), ``world`` (one frame with it in both ROBOTIS descriptions, unless
the arm is placed elsewhere in it: ``base``, the launch's ``base_xyz_rpy``, so that several arms
share one world) and the tracker frame of the arm's calibration (a camera or motion capture: its
pose in the base frame was calibrated). A target in the base frame is taken as it is; one in
``world`` is moved by the inverse of the base placement; one in the tracker frame with the
calibrated transform (``tool = frame * target``). Every other frame is refused here
(solving it as if in the base frame put the tool 143 mm off with a mocap calibration); where
tf2 is installed the ik node asks it for those (:mod:`ik_net_ros.nodes.tf_targets`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ik_net_ros.kinematics.rigid import compose, invert
from ik_net_ros.kinematics.tracker_setup import (
    BASE_FRAME_NAMES,
    TrackerSetup,
)
import numpy as np

__all__ = ['TargetFrames', 'FrameError', 'WORLD']

WORLD = BASE_FRAME_NAMES[0]


class FrameError(ValueError):
    """A frame the targets cannot be given in (the message says which frames can)."""

    code = 'wrong_frame'  # the target's fate says it: refused (wrong_frame)


@dataclass(frozen=True)
class TargetFrames:
    """
    The frames targets are accepted in.

    default: the frame an empty ``frame_id`` means (when ``accept_empty``); prefix: ROBOTIS's
    xacro prefix of the base link; tracker: the calibration's tracker setup (None: none);
    base: the pose (7,) of the base link in ``world`` (None: one frame); base_link: the arm's
    base link, unprefixed (:func:`ik_net_ros.robot_urdf.base_link_name`; the OM-X's link1 by
    default).

    Raises
    ------
    FrameError
        On construction: ``default`` names neither the base frame nor the tracker frame.

    """

    default: str = 'world'
    accept_empty: bool = True
    prefix: str = ''
    tracker: TrackerSetup | None = None
    base: tuple | None = None
    base_link: str = BASE_FRAME_NAMES[1]

    def __post_init__(self):
        if self.default == '' or not (self._is_base(self.default) or
                                      self.default == self.tracker_frame):
            raise FrameError(f"frame '{self.default}' is not one targets can be in by "
                             f'default: {self.accepted(empty=False)}')

    @property
    def tracker_frame(self) -> str | None:
        """Return the calibration's tracker frame name, or None (no calibration, or the base)."""
        setup = self.tracker
        if setup is None or not setup.frame_id or self._is_base(setup.frame_id):
            return None
        return setup.frame_id

    def _is_base(self, frame: str) -> bool:
        return frame in (WORLD, self.base_frame)

    @property
    def base_frame(self) -> str:
        """Return the base link's frame name, prefixed (where the solver works)."""
        return f'{self.prefix}{self.base_link}'

    def known(self, frame: str) -> bool:
        """Tell whether ``frame`` is one this object transforms ('' counts when accepted)."""
        return (frame == '' and self.accept_empty) or self._is_base(frame) or \
            (frame != '' and frame == self.tracker_frame)

    def accepted(self, empty: bool = True) -> str:
        """Return the names of the frames taken, for messages (``empty``: and '' if taken)."""
        names = [WORLD, self.base_frame] + \
            ([self.tracker_frame] if self.tracker_frame else [])
        return ', '.join(f"'{n}'" for n in names) + \
            (f" or '' (= '{self.default}')" if empty and self.accept_empty else '')

    def static_transforms(self) -> list[tuple[str, str, list[float]]]:
        """
        Return the transforms this arm's frames add to TF: (parent, child, pose (7,)).

        The calibrated tracker frame in the base frame, if any. ``world`` -> base is the URDF's
        (robot_state_publisher), not repeated here: a second publisher of it would fight
        with another URDF's.
        """
        if self.tracker_frame is None:
            return []
        return [(self.base_frame, self.tracker_frame,
                 [float(v) for v in self.tracker.frame])]

    def to_base(self, frame: str, pose: list[float]) -> list[float]:
        """
        Return ``pose`` [x, y, z, qx, qy, qz, qw] given in ``frame`` in the base frame.

        Raises
        ------
        FrameError
            A frame that is neither the base nor the calibration's tracker frame (or an empty
            one where it is not accepted).

        """
        if frame == '':
            if not self.accept_empty:
                raise FrameError(f'target with an empty frame_id; expected {self.accepted()}')
            frame = self.default
        if frame == WORLD and self.base is not None:  # the arm is placed in world
            with np.errstate(invalid='ignore', divide='ignore', over='ignore'):
                return compose(invert(np.asarray(self.base)), np.asarray(pose)).tolist()
        if self._is_base(frame):
            return pose
        if frame == self.tracker_frame:
            # a NaN or zero quaternion stays invalid through compose: the solver refuses it
            with np.errstate(invalid='ignore', divide='ignore', over='ignore'):
                return compose(np.asarray(self.tracker.frame), np.asarray(pose)).tolist()
        raise FrameError(f"target in frame '{frame}', which this node cannot transform "
                         f'without tf2; expected {self.accepted()}')
