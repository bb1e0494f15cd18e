"""A dataset of tool poses and the joints that reach them, with splits and statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.errors import DatasetError
import numpy as np

__all__ = ['PoseJointSet', 'Normalization', 'random_split', 'sequential_split', 'POSE_COLUMNS',
           'MEASURED_COLUMNS', 'block_split',
           'configuration_keys', 'SAME_CONFIGURATION', 'joint_columns', 'velocity_columns',
           'check_arm_of']

POSE_COLUMNS = ('x', 'y', 'z', 'qx', 'qy', 'qz', 'qw')
# a tracker's measured tool pose (camera marker, motion capture, probe) beside the FK pose
MEASURED_COLUMNS = ('mx', 'my', 'mz', 'mqx', 'mqy', 'mqz', 'mqw')


def joint_columns(arm: Arm | None = None) -> tuple[str, ...]:
    """Return the joint columns of an arm's data files: its joint names (None: the OM-X's)."""
    return arm_or_default(arm).joint_names


def velocity_columns(arm: Arm | None = None) -> tuple[str, ...]:
    """Return the joint velocity columns (rad/s) of an arm's recordings: 'v' + each joint name."""
    return tuple(f'v{name}' for name in joint_columns(arm))


def check_arm_of(data: PoseJointSet, arm: Arm, where: str) -> PoseJointSet:
    """
    Return ``data`` if it is of ``arm``: its recorded arm's name, and one joint column per joint.

    Raises
    ------
    DatasetError
        Data of another arm (naming both) or of another joint count.

    """
    recorded = data.meta.get('arm')
    if recorded is not None and recorded != arm.name:
        raise DatasetError(f'{where} holds data of the {recorded}, not the {arm.name} (give '
                           f'--arm {recorded}, or data of the {arm.name})')
    if data.dof != arm.dof:
        raise DatasetError(f'{where} holds {data.dof} joint columns, the {arm.name} has '
                           f'{arm.dof} ({", ".join(arm.joint_names)}): data of another arm?')
    return data


# rad: joints this close are one configuration (a still arm's rows repeat its commanded joints)
SAME_CONFIGURATION = 1e-4
BLOCKS = (6, 3, 3)  # joint-space blocks of a held-out check: joint1 sectors, joint2, joint3 bands


@dataclass
class PoseJointSet:
    """
    Pairs of poses (N, 7) [x, y, z, qx, qy, qz, qw] (m) and joints (N, dof) (rad).

    ``meta`` records where the data came from (source, seed, arm name...), and travels into the
    checkpoints trained on it. ``measured`` (N, 7), when present, is the pose a tracker measured
    for each row (the real arm's, where ``poses`` is the nominal FK's; in the tracker's frame,
    ``meta['measured_frame']``, where the recording says so). ``velocities`` (N, dof), when
    present, are the joint velocities (rad/s) at each row.
    """

    poses: np.ndarray
    joints: np.ndarray
    meta: dict = field(default_factory=dict)
    measured: np.ndarray | None = None
    velocities: np.ndarray | None = None

    def __post_init__(self):
        self.poses = np.asarray(self.poses, dtype=np.float64)
        self.joints = np.asarray(self.joints, dtype=np.float64)
        if self.poses.ndim != 2 or self.poses.shape[1] != 7:
            raise DatasetError(f'poses must be (N, 7), got {self.poses.shape}')
        if self.joints.ndim != 2 or len(self.joints) != len(self.poses) or \
                self.joints.shape[1] < 1:
            raise DatasetError(f'joints must be ({len(self.poses)}, dof), got '
                               f'{self.joints.shape}')
        if self.measured is not None:
            self.measured = np.asarray(self.measured, dtype=np.float64)
            if self.measured.shape != (len(self.poses), 7):
                raise DatasetError(f'measured poses must be ({len(self.poses)}, 7), got '
                                   f'{self.measured.shape}')
        if self.velocities is not None:
            self.velocities = np.asarray(self.velocities, dtype=np.float64)
            if self.velocities.shape != self.joints.shape:
                raise DatasetError(f'joint velocities must be {self.joints.shape}, got '
                                   f'{self.velocities.shape}')

    def __len__(self) -> int:
        return len(self.poses)

    @property
    def dof(self) -> int:
        """Return the number of joint columns."""
        return self.joints.shape[1]

    def subset(self, index) -> PoseJointSet:
        """Return the rows ``index`` (index array, mask or slice) as a new set, the same meta."""
        return PoseJointSet(self.poses[index], self.joints[index], dict(self.meta),
                            None if self.measured is None else self.measured[index],
                            None if self.velocities is None else self.velocities[index])

    def summary(self) -> dict:
        """Size, source and ranges: what a checkpoint records about its training data."""
        return {
            'rows': len(self),
            'source': self.meta.get('source', 'unknown'),
            **{k: v for k, v in self.meta.items() if k != 'source'},
            'joint_min': self.joints.min(axis=0).round(4).tolist() if len(self) else [],
            'joint_max': self.joints.max(axis=0).round(4).tolist() if len(self) else [],
        }


@dataclass
class Normalization:
    """
    Per-column mean and standard deviation of network inputs (poses) and outputs (joints).

    Computed on training data only, so validation stays unseen.
    """

    pose_mean: np.ndarray
    pose_std: np.ndarray
    joint_mean: np.ndarray
    joint_std: np.ndarray

    @classmethod
    def fit(cls, data: PoseJointSet, min_std: float = 1e-6) -> Normalization:
        """Statistics of ``data``; a constant column gets std 1 instead of ~0."""
        if len(data) < 2:
            raise DatasetError('need at least 2 rows to compute normalisation statistics')
        pose_std = data.poses.std(axis=0)
        joint_std = data.joints.std(axis=0)
        return cls(data.poses.mean(axis=0), np.where(pose_std < min_std, 1.0, pose_std),
                   data.joints.mean(axis=0), np.where(joint_std < min_std, 1.0, joint_std))


def random_split(data: PoseJointSet, val_fraction: float = 0.1, seed: int = 0,
                 by_configuration: bool = False) -> tuple[PoseJointSet, PoseJointSet]:
    """
    Shuffled (train, validation) split, for i.i.d. synthetic data.

    ``by_configuration``: whole joint configurations (:func:`configuration_keys`) go to one side,
    so a recording's repeated rows of one still pose never validate what they trained; the
    validation share is then reached to within one configuration's rows, and it is empty when
    the data has one configuration only.
    """
    _check_fraction(val_fraction, len(data))
    rng = np.random.default_rng(seed)
    n_val = max(1, int(round(len(data) * val_fraction)))
    if not by_configuration:
        order = rng.permutation(len(data))
        return data.subset(order[n_val:]), data.subset(order[:n_val])
    keys = configuration_keys(data.joints)
    shuffled = rng.permutation(keys.max() + 1)
    taken = np.searchsorted(np.cumsum(np.bincount(keys)[shuffled]), n_val) + 1
    held = np.isin(keys, shuffled[:min(taken, len(shuffled) - 1)])
    return data.subset(~held), data.subset(held)


def sequential_split(data: PoseJointSet, val_fraction: float = 0.2
                     ) -> tuple[PoseJointSet, PoseJointSet]:
    """
    First part trains, last part validates.

    The original IKNet's rule for recordings, where neighbouring rows are nearly equal and a random
    split would leak.
    """
    _check_fraction(val_fraction, len(data))
    n_train = len(data) - max(1, int(round(len(data) * val_fraction)))
    return data.subset(slice(0, n_train)), data.subset(slice(n_train, None))


def _check_fraction(fraction: float, rows: int) -> None:
    if not 0.0 < fraction < 1.0:
        raise DatasetError(f'validation fraction must be in (0, 1), got {fraction}')
    if rows < 2:
        raise DatasetError(f'cannot split a dataset of {rows} row(s)')


Split = tuple[PoseJointSet, PoseJointSet, list[str]]


def block_split(data: PoseJointSet, share: float = 0.2, seed: int = 0,
                blocks: tuple[int, int, int] = BLOCKS, arm: Arm | None = None) -> Split:
    """
    Split into (fit, held out, names of the held-out blocks): joint-space blocks held out whole.

    The joint space is cut into ``blocks`` (joint1 sectors, joint2 and joint3 ranges) equal
    parts of ``arm``'s limits (None: the OM-X's); random blocks with rows are held out until
    ``share`` of the rows are.
    A check on them tests a region the fit never saw, not rows beside the ones it fitted
    (neighbouring rows of a recording are nearly equal, so a random or sequential split is
    optimistic). Never holds out every block with rows.

    Raises
    ------
    DatasetError
        A share outside (0, 1), or too few rows.

    """
    _check_fraction(share, len(data))
    arm = arm_or_default(arm)
    lower, upper, names_of = arm.lower, arm.upper, arm.joint_names
    frac = (data.joints[:, :3] - lower[:3]) / (upper[:3] - lower[:3])
    cells = np.clip((frac * blocks).astype(int), 0, np.array(blocks) - 1)
    ids = np.ravel_multi_index(cells.T, blocks)
    present = np.unique(ids)
    rng = np.random.default_rng(seed)
    held, names = np.zeros(len(data), bool), []
    for block in rng.permutation(present)[:-1]:
        if held.mean() >= share:
            break
        held |= ids == block
        idx = np.unravel_index(block, blocks)
        span = upper - lower
        names.append(', '.join(f'{names_of[j]} in [{lower[j] + span[j] * i / n:.2f}, '
                               f'{lower[j] + span[j] * (i + 1) / n:.2f}]'
                               for j, (i, n) in enumerate(zip(idx, blocks))))
    return data.subset(~held), data.subset(held), names


def configuration_keys(joints: np.ndarray) -> np.ndarray:
    """
    Return one integer key per row: rows of one joint configuration share it.

    Configurations are the joints (N, dof) on a SAME_CONFIGURATION (rad) grid: a recording's
    copies of one still pose are one configuration, which is what a fit or a validation split
    can tell apart. ``len(np.unique(keys))`` is the number of distinct configurations.
    """
    cells = np.round(np.asarray(joints, float) / SAME_CONFIGURATION).astype(np.int64)
    _, keys = np.unique(cells, axis=0, return_inverse=True)
    return keys.reshape(-1)
