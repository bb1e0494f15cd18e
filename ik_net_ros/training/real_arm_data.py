"""
Learning one real arm from measured tool poses.

The datasets and the starting model of a fine-tuning run (``ik_net_ros train --target measured``).

- Without a calibration, a network is fine-tuned on (measured pose -> commanded joints): it
  learns the real arm whole.
- On top of a parametric calibration it learns only what the calibration leaves (sag and other
  configuration-dependent errors): the labels are the commanded joints minus the calibrated
  closed form of the measured pose, the network starts at exactly zero correction (its last
  layer zeroed), and its checkpoint is a correction of that closed form (``correction =
  'analytic'``, the calibrated arm recorded). Any arm: one label per joint of it. A
  Universal-Robots-layout arm's (the OMY's) closed form is its no-seed branch family's (the one
  its solver answers in without a seed, and its base models learn): rows recorded in another
  branch are dropped (:data:`DISAGREE`), each joint's label is taken to the nearest turn.
"""

from __future__ import annotations

import copy

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.data import PoseJointSet
from ik_net_ros.data.dataset import configuration_keys
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import project_and_solve
from ik_net_ros.kinematics.closed_forms import closed_form_kind, UR
from ik_net_ros.kinematics.inverse import closed_form
from ik_net_ros.kinematics.ur_branches import family_solution, in_family
from ik_net_ros.kinematics.ur_closed_form import ur_inverse
from ik_net_ros.kinematics.validation import as_pose_array
from ik_net_ros.networks import IKModel
from ik_net_ros.solver.network import correction_base, MAX_CORRECTION
import numpy as np
import torch
from torch import nn

__all__ = ['measured_set', 'correction_set', 'correction_model', 'MAX_CORRECTION', 'DISAGREE',
           'UNREACHABLE', 'OTHER_BRANCH', 'trusted_split', 'MIN_TRAIN_CONFIGURATIONS',
           'MIN_VAL_CONFIGURATIONS']

DISAGREE = 'disagree with the calibration (over MAX_CORRECTION: another elbow branch, a limit)'
UNREACHABLE = 'unreachable in the calibrated arm'
# a UR-layout arm's row in another branch than the no-seed family the correction learns
OTHER_BRANCH = 'in another branch than the no-seed family (the one a correction learns)'
# distinct joint configurations a fine-tuning run needs: training on fewer teaches the network a
# handful of poses (and forgets the rest); a median over fewer validation ones says little
MIN_TRAIN_CONFIGURATIONS = 100
MIN_VAL_CONFIGURATIONS = 30


def measured_set(data: PoseJointSet) -> PoseJointSet:
    """
    Return the (measured pose -> commanded joints) pairs of a recording.

    The measured poses must be tool poses in the base frame
    (:func:`ik_net_ros.data.tracker_rows.in_base_frame`).

    Raises
    ------
    DatasetError
        The recording has no measured poses.

    """
    if data.measured is None:
        raise DatasetError(f'{data.meta.get("source", "the data")}: no measured poses (columns '
                           'mx..mqw); record with collect -p measured_pose_topic:=...')
    return PoseJointSet(data.measured, data.joints, {**data.meta, 'poses': 'measured'})


def trusted_split(fit: PoseJointSet, check: PoseJointSet, spec: str
                  ) -> tuple[PoseJointSet, PoseJointSet, int]:
    """
    Return (train, validation, rows moved): no validation row is a copy of a training row.

    A validation row at a joint configuration the training rows hold (a still arm's repeated
    rows across a sequential split's boundary) measures memory, not the arm: it trains instead.

    Raises
    ------
    DatasetError
        Fewer than MIN_TRAIN_CONFIGURATIONS distinct training configurations, or fewer than
        MIN_VAL_CONFIGURATIONS distinct validation ones.

    """
    seen = configuration_keys(np.concatenate([fit.joints, check.joints]))
    train_keys, val_keys = seen[:len(fit)], seen[len(fit):]
    copies = np.isin(val_keys, train_keys)
    trained, validated = len(np.unique(train_keys)), len(np.unique(val_keys[~copies]))
    if trained < MIN_TRAIN_CONFIGURATIONS or validated < MIN_VAL_CONFIGURATIONS:
        raise DatasetError(
            f'{spec}: too few distinct joint configurations to fine-tune and check it: '
            f'{trained} to train on and {validated} others to validate on; needs '
            f'{MIN_TRAIN_CONFIGURATIONS} and {MIN_VAL_CONFIGURATIONS}: record more poses '
            'spread over the joint space')
    if not copies.any():
        return fit, check, 0
    moved = check.subset(copies)
    train = PoseJointSet(np.concatenate([fit.poses, moved.poses]),
                         np.concatenate([fit.joints, moved.joints]), fit.meta,
                         _joined(fit.measured, moved.measured),
                         _joined(fit.velocities, moved.velocities))
    return train, check.subset(~copies), int(copies.sum())


def _joined(a, b):
    return None if a is None or b is None else np.concatenate([a, b])


def correction_set(measured: PoseJointSet, arm: Arm | None = None
                   ) -> tuple[PoseJointSet, dict[str, int]]:
    """
    Pair each measured pose with its commanded joints minus the closed form of ``arm``.

    ``arm``: the calibrated arm (None: the default arm). From a :func:`measured_set`; also
    returns how many rows were dropped, by reason (:data:`UNREACHABLE`, :data:`DISAGREE`).

    Raises
    ------
    DatasetError
        The recording's joints are not ``arm``'s (another joint count).

    """
    arm = arm_or_default(arm)
    if measured.joints.shape[1:] != (arm.dof,):
        raise DatasetError(f'{measured.meta.get("source", "the data")}: joints of '
                           f'{measured.joints.shape[1:]} columns, {arm.name} has {arm.dof}')
    poses, upright = as_pose_array(measured.poses)[0], arm.upright()
    other = np.zeros(len(poses), bool)
    if closed_form_kind(upright) == UR:
        residual, reachable, other = _family_residual(measured.joints, poses, arm)
    else:
        _, solutions = project_and_solve(poses, upright)
        residual = measured.joints - correction_base(closed_form(solutions), arm)
        reachable = solutions.valid.any(axis=1)
    agree = np.all(np.abs(residual) < MAX_CORRECTION, axis=1)
    keep = reachable & agree & ~other
    dropped = {UNREACHABLE: int((~reachable).sum()),
               DISAGREE: int((reachable & ~agree & ~other).sum())}
    if other.any():
        dropped[OTHER_BRANCH] = int((reachable & other).sum())
    return (PoseJointSet(measured.poses[keep], residual[keep],
                         {**measured.meta, 'labels': 'correction of the calibrated closed form'}),
            dropped)


def _family_residual(joints: np.ndarray, poses: np.ndarray, arm: Arm
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Return a UR-layout arm's labels: (residual (N, dof) rad, reachable (N,), other branch (N,)).

    The residual: the commanded joints minus the solution of the no-seed family
    (:func:`~ik_net_ros.kinematics.ur_branches.family_solution` in the upright arm, made the
    leaning arm's by :func:`correction_base`), each revolute joint's difference taken to the
    nearest turn (q and q + 2 pi are one configuration: the solver answers the turn nearest
    home, the arm may stand at another). Other branch: the commanded joints are not on that
    family's branch (their residual is meaningless: infinite).
    """
    upright = arm.upright()
    family = family_solution(upright, poses)
    found = family.found
    d = joints[found] - correction_base(family.joints[found], arm)
    turns = np.array([j.type == 'revolute' for j in arm.joints])
    d[:, turns] -= 2 * np.pi * np.round(d[:, turns] / (2 * np.pi))
    residual = np.full(joints.shape, np.inf)
    residual[found] = d
    other = ~in_family(upright, joints)
    return residual, ur_inverse(upright, poses).reachable.any(axis=1), other


def correction_model(init: IKModel, residuals: PoseJointSet) -> IKModel:
    """
    Build ``init``'s network (its features of the pose) answering zero.

    Its last Linear layer zeroed, its output scaled to the residuals' spread. A correction is a
    few hundredths of a radian: one output per joint, never an angle's (cos, sin) pair, so the
    last layer of a model with circular outputs (:mod:`ik_net_ros.networks.angles`) is replaced
    by one of ``dof`` outputs (zero).
    """
    model = copy.deepcopy(init)
    dof = residuals.joints.shape[1]
    name, last = [(n, m) for n, m in model.network.named_modules()
                  if isinstance(m, nn.Linear)][-1]
    if last.out_features != dof:
        parent, _, child = name.rpartition('.')
        last = nn.Linear(last.in_features, dof)
        setattr(model.network.get_submodule(parent) if parent else model.network, child, last)
        for buffer in ('circular', 'reference'):
            model.register_buffer(buffer, torch.zeros(0))
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    std = np.maximum(residuals.joints.std(axis=0), 1e-4)
    model.register_buffer('joint_mean', torch.zeros(dof))
    model.register_buffer('joint_std', torch.as_tensor(std, dtype=torch.float32))
    return model
