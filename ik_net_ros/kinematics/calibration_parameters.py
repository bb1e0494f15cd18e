"""
Which of an arm's chain errors a calibration fits, decided from the chain's structure.

The one chain's errors (:class:`~ik_net_ros.arm.ChainErrors`) have six numbers per joint and
three for the tool; not all can be told apart from measured tool poses. The fitted set:

- every joint's offset (a servo horn's zero);
- the lengths: each non-zero component of a joint's (and the tool's) origin in the arm's
  description, less those that move the tool exactly as a later one does (a component along
  the axis of the joint before it, e.g. joint1's height under joint2's, or an origin along a roll
  axis with the tool's along it), found by the rank of the error Jacobian over joints spread
  over the limits, the tool first. A planar arm keeps its plane (its closed form still holds);
- every joint axis's two tilts, less those that turn the tool exactly as an offset (or a tilt)
  before them does (joint2's about z on a base yaw: joint1's offset), again by the rank.

What remains may still trade in combination (the upper arm's x/z split against the joint2/joint3
offsets): the calibration's truncated Gauss-Newton step handles that and says so. ``rigid``:
the parameters that move the whole arm rigidly (joint1's zero, position and tilt), which a free
tracker frame takes instead.

On a planar arm the names are the planar chain's (``joint1_x``, ``shoulder_height``,
``upper_arm_x``, ``upper_arm_z``, ``forearm``, ``tool``, ``tool_y``: the OM-X's calibration
files and tables of before); on another shape ``<joint>_<axis>`` and ``tool_<axis>``.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools

from ik_net_ros.arm import Arm, ChainErrors
from ik_net_ros.kinematics.chain import chain_forward, tilt_axes
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.planar import is_planar
from ik_net_ros.kinematics.rotations import pose_error
import numpy as np

__all__ = ['ArmParameters', 'arm_parameters']

_AXES = 'xyz'
# the planar chain's names of origin components (joint index or 'tool', axis)
_PLANAR_NAMES = {(0, 0): 'joint1_x', (1, 2): 'shoulder_height', (2, 0): 'upper_arm_x',
                 (2, 2): 'upper_arm_z', (3, 0): 'forearm', ('tool', 0): 'tool',
                 ('tool', 1): 'tool_y', ('tool', 2): 'tool_z'}
_ROWS, _SEED = 64, 2024  # joints spread over the limits for the rank checks
_STEP = 1e-6  # central differences of the error Jacobian
_RANK = 1e-6  # a singular value under this share of the largest: dependent
_ORIENTATION = 0.1  # m per rad, as the calibration weighs orientation


@dataclass(frozen=True)
class ArmParameters:
    """
    An arm's calibration parameters, as indices into :meth:`ChainErrors.as_vector`.

    Attributes
    ----------
    offsets, lengths
        Names of the fitted joint offsets (rad) and origin components (m), chain order.
    offset_index, length_index
        Their positions in the errors vector.
    length_nominal
        The description's value of each length (m): a parameter's value is this plus the delta.
    tilts, tilt_index
        Names and positions of every joint's two tilts (rad), chain order.
    fixed_tilts
        Tilts that act as an offset or an earlier tilt does: never fitted.
    rigid
        Parameters that move the whole arm rigidly (a free tracker frame takes them).

    """

    offsets: tuple[str, ...]
    offset_index: tuple[int, ...]
    lengths: tuple[str, ...]
    length_index: tuple[int, ...]
    length_nominal: tuple[float, ...]
    tilts: tuple[str, ...]
    tilt_index: tuple[int, ...]
    fixed_tilts: frozenset
    rigid: frozenset

    @property
    def arm_names(self) -> tuple[str, ...]:
        """Return the offsets' and lengths' names."""
        return self.offsets + self.lengths

    def values(self, errors: ChainErrors) -> tuple[np.ndarray, np.ndarray]:
        """Return (offsets and lengths, tilts) of ``errors``: rad, m (the origin's value), rad."""
        v = errors.as_vector()
        arm = np.concatenate([v[list(self.offset_index)],
                              v[list(self.length_index)] + self.length_nominal])
        return arm, v[list(self.tilt_index)]

    def errors(self, base: ChainErrors, arm_values, tilts) -> ChainErrors:
        """Return ``base`` with the offsets, lengths (origin values, m) and tilts given."""
        v = base.as_vector()
        n = len(self.offsets)
        v[list(self.offset_index)] = arm_values[:n]
        v[list(self.length_index)] = np.asarray(arm_values[n:]) - self.length_nominal
        v[list(self.tilt_index)] = tilts
        return ChainErrors.from_vector(v)


def _jacobian(arm: Arm, joints: np.ndarray) -> np.ndarray:
    """Return d(tool pose error)/d(errors vector) stacked over rows: (6 N, 6 dof + 3)."""
    base = arm.errors.as_vector()
    cols = []
    for k in range(len(base)):
        step = np.zeros_like(base)
        step[k] = _STEP
        plus = chain_forward(arm, joints, ChainErrors.from_vector(base + step))
        minus = chain_forward(arm, joints, ChainErrors.from_vector(base - step))
        err = pose_error(plus, minus)
        err[:, 3:] *= _ORIENTATION
        cols.append(err.ravel() / (2 * _STEP))
    return np.stack(cols, axis=1)


def _rank(cols: np.ndarray) -> int:
    """Return the rank of unit-normalised columns (relative tolerance _RANK)."""
    norms = np.linalg.norm(cols, axis=0)
    s = np.linalg.svd(cols / np.maximum(norms, 1e-300), compute_uv=False)
    return int(np.sum(s > _RANK * s[0])) if len(s) else 0


def _raises_rank(jac: np.ndarray, kept: list[int], k: int) -> bool:
    """Return whether column ``k`` adds a direction to the ``kept`` columns."""
    if np.linalg.norm(jac[:, k]) < 1e-9:
        return False
    return not kept or _rank(jac[:, kept + [k]]) > _rank(jac[:, kept])


def _rigid(jac: np.ndarray, joints: np.ndarray, positions: np.ndarray, k: int) -> bool:
    """Return whether column ``k`` is a rigid motion of every tool pose (v + w x p, w)."""
    n = len(joints)
    rigid = np.zeros((n, 6, 6))
    eye = np.eye(3)
    rigid[:, :3, :3] = eye
    for a in range(3):  # w_a x p, and the orientation rows w_a
        rigid[:, :3, 3 + a] = np.cross(eye[a], positions)
        rigid[:, 3 + a, 3 + a] = _ORIENTATION
    basis = rigid.reshape(6 * n, 6)
    col = jac[:, k]
    if np.linalg.norm(col) < 1e-9:
        return False
    fit, *_ = np.linalg.lstsq(basis, col, rcond=None)
    return np.linalg.norm(basis @ fit - col) < 1e-6 * np.linalg.norm(col)


@functools.lru_cache(maxsize=16)
def arm_parameters(arm: Arm) -> ArmParameters:
    """
    Return the parameters a calibration of ``arm`` fits (its description decides, not errors).

    Raises
    ------
    ValueError
        The description's chain is degenerate (a joint that moves no tool pose).

    """
    arm = arm.nominal()
    dof = arm.dof
    joints = sample_joints(arm, _ROWS, _SEED)
    jac = _jacobian(arm, joints)
    positions = chain_forward(arm, joints)[:, :3]
    offset_index = [6 * k for k in range(dof)]
    for k in offset_index:
        if np.linalg.norm(jac[:, k]) < 1e-9:
            raise ValueError(f'{arm.joints[k // 6].name} moves no tool pose: no calibration')
    planar = is_planar(arm)
    # lengths: the description's non-zero origin components, the tool first (a later one keeps
    # what an earlier one would move as it does)
    candidates = [('tool', a, 6 * dof + a, arm.tool.xyz[a]) for a in range(3)] + [
        (j, a, 6 * j + 1 + a, arm.joints[j].origin.xyz[a])
        for j in reversed(range(dof)) for a in range(3)]
    kept = []
    for j, a, index, value in candidates:
        if value and _raises_rank(jac, [c[2] for c in kept], index):
            kept.append((j, a, index, value))
    kept.sort(key=lambda c: (dof if c[0] == 'tool' else c[0], c[1]))
    lengths = tuple(_PLANAR_NAMES.get((j, a)) if planar and (j, a) in _PLANAR_NAMES
                    else f'{"tool" if j == "tool" else arm.joints[j].name}_{_AXES[a]}'
                    for j, a, _, _ in kept)
    length_index = [c[2] for c in kept]
    tilts, tilt_index, fixed = [], [], set()
    basis = offset_index + length_index
    for j, joint in enumerate(arm.joints):
        for i, about in enumerate(tilt_axes(joint.axis)):
            name, index = f'tilt{j + 1}_{_AXES[about]}', 6 * j + 4 + i
            tilts.append(name)
            tilt_index.append(index)
            if _raises_rank(jac, basis, index):
                basis = basis + [index]
            else:
                fixed.add(name)
    names = [f'offset{j + 1}' for j in range(dof)] + list(lengths) + tilts
    indices = offset_index + length_index + tilt_index
    rigid = {name for name, index in zip(names, indices)
             if name not in fixed and _rigid(jac, joints, positions, index)}
    return ArmParameters(tuple(names[:dof]), tuple(offset_index), lengths, tuple(length_index),
                         tuple(float(c[3]) for c in kept), tuple(tilts), tuple(tilt_index),
                         frozenset(fixed), frozenset(rigid))
