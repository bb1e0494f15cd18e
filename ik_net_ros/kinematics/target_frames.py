"""
Which frames a target may be given in, and how it gets into the arm's base frame.

Without tf2 the package knows two kinds of frame: the arm's base frame (``world``, and
``<prefix>link1``, ROBOTIS's base link: one frame in both descriptions) and the tracker frame of
the arm's calibration (a camera or motion capture: its pose in the base frame was calibrated).
A target in the base frame is taken as it is; one in the tracker frame is moved into the base
frame with the calibrated transform (``tool = frame * target``); every other frame is refused
(solving it as if in the base frame put the tool 143 mm off with a mocap calibration).
"""

from __future__ import annotations

from dataclasses import dataclass

from ik_net_ros.kinematics.rigid import compose
from ik_net_ros.kinematics.tracker_setup import is_base_frame_name, TrackerSetup
import numpy as np

__all__ = ['TargetFrames', 'FrameError']


class FrameError(ValueError):
    """A frame the targets cannot be given in (the message says which frames can)."""


@dataclass(frozen=True)
class TargetFrames:
    """
    The frames targets are accepted in.

    default: the frame an empty ``frame_id`` means (when ``accept_empty``); prefix: ROBOTIS's
    xacro prefix of the base link; tracker: the calibration's tracker setup (None: none).

    Raises
    ------
    FrameError
        On construction: ``default`` names neither the base frame nor the tracker frame.

    """

    default: str = 'world'
    accept_empty: bool = True
    prefix: str = ''
    tracker: TrackerSetup | None = None

    def __post_init__(self):
        if self.default == '' or not (self._is_base(self.default) or
                                      self.default == self.tracker_frame):
            raise FrameError(f"frame '{self.default}' is not one targets can be in: "
                             f'{self.accepted(empty=False)} (no tf2 here)')

    @property
    def tracker_frame(self) -> str | None:
        """Return the calibration's tracker frame name, or None (no calibration, or the base)."""
        setup = self.tracker
        if setup is None or not setup.frame_id or self._is_base(setup.frame_id):
            return None
        return setup.frame_id

    def _is_base(self, frame: str) -> bool:
        return frame != '' and is_base_frame_name(frame, self.prefix)

    def accepted(self, empty: bool = True) -> str:
        """Return the names of the frames taken, for messages (``empty``: and '' if taken)."""
        names = ['world', f'{self.prefix}link1'] + \
            ([self.tracker_frame] if self.tracker_frame else [])
        return ', '.join(f"'{n}'" for n in names) + \
            (f" or '' (= '{self.default}')" if empty and self.accept_empty else '')

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
        if self._is_base(frame):
            return pose
        if frame == self.tracker_frame:
            # a NaN or zero quaternion stays invalid through compose: the solver refuses it
            with np.errstate(invalid='ignore', divide='ignore', over='ignore'):
                return compose(np.asarray(self.tracker.frame), np.asarray(pose)).tolist()
        raise FrameError(f"target in frame '{frame}', which this node cannot transform "
                         f'(no tf2 here); expected {self.accepted()}')
