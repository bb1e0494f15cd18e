"""
Joints that turn a full circle, answered as (cos, sin) and decoded by atan2: no seam to learn.

A joint whose labels cover most of a circle (the OMX-F's joint1, wrist pitch and roll; the OMY's
yaw joints under its one-family rule) has a seam: two poses a hair apart, one each side of the
label window's edge, are labelled ~2 pi apart. A network answering the angle itself must jump
there, which no smooth network does: it spends its capacity near the seam and still misses
there by up to pi (on the OMX-F 0.25 % of rows carried 63 % of the joint MSE). Its cosine and
sine are smooth in the pose; atan2 of the two, moved by whole turns into the label window,
is the label rule's answer.

The layout of a network's outputs with ``n`` circular joints (``dof + n`` columns): column ``j``
is joint ``j`` (rad) or, for a circular joint, its cosine; the last ``n`` columns are the
circular joints' sines, in order. ``reference`` (rad) is the centre of each circular joint's
label window: the decoded angle is the one within half a turn of it.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ['CIRCLE_SHARE', 'circular_joints', 'decode', 'wrap', 'TURN']

TURN = 2 * math.pi
# rad: a joint whose labels span more than this has a seam inside its window (a joint labelled
# over half a turn or less, as the OMY's wrist pitch in one family, keeps its plain output)
CIRCLE_SHARE = 1.5 * math.pi


def circular_joints(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Return (indices, reference) of the joints of ``labels`` (N, dof) rad that need (cos, sin).

    A joint is circular where its labels span more than :data:`CIRCLE_SHARE`; its reference is
    the middle of their range (the centre of the label rule's window: 0 for an atan2 in
    (-pi, pi], home's value for a nearest-home rule).
    """
    q = np.asarray(labels, dtype=float)
    span = q.max(axis=0) - q.min(axis=0)
    idx = np.flatnonzero(span > CIRCLE_SHARE)
    return idx, 0.5 * (q.max(axis=0) + q.min(axis=0))[idx]


def wrap(angle, reference):
    """Return ``angle`` moved by whole turns to within half a turn of ``reference`` (numpy)."""
    return angle + TURN * np.round((reference - angle) / TURN)


def decode(raw: np.ndarray, circular: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """
    Return joints (..., dof) rad from a network's de-normalised outputs (..., dof + n).

    ``circular`` (n,) joint indices (any real dtype), ``reference`` (n,) rad. Without circular
    joints ``raw`` itself.
    """
    n = len(circular)
    if n == 0:
        return raw
    dof = raw.shape[-1] - n
    idx = np.asarray(circular).astype(np.intp)
    q = np.array(raw[..., :dof], dtype=np.float64)
    angle = np.arctan2(raw[..., dof:], raw[..., idx])
    q[..., idx] = wrap(angle, np.asarray(reference, np.float64))
    return q


def encode(joints: np.ndarray, circular: np.ndarray) -> np.ndarray:
    """Return the output layout (N, dof + n) of joints (N, dof): the inverse of :func:`decode`."""
    idx = np.asarray(circular).astype(np.intp)
    out = np.array(joints, dtype=np.float64)
    out[:, idx] = np.cos(joints[:, idx])
    return np.concatenate([out, np.sin(joints[:, idx])], axis=1)
