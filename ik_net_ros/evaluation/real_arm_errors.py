"""
How well solvers reach a real arm's measured poses, and, in simulation, the truth.

``ik_net_ros evaluate --against measured``.

Against measurements: each row of a recording is a measured tool pose ``m`` and the commanded
joints ``q`` that reached it. A solver's answer ``q'`` for target ``m`` misses by the tool
distance between ``q'`` and ``q`` on the real arm; to first order (the two arms' Jacobians
differ by a fraction of a percent) that is ``|FK(q') - FK(q)|`` in the best model of the arm
available (the calibrated one), which is what is reported. With the simulator's true arm, the
truth: the true tool pose of the answer to a true (noise-free) target.
"""

from __future__ import annotations

from dataclasses import dataclass

from ik_net_ros.arm import Arm, arm_or_default
from ik_net_ros.data import PoseJointSet
from ik_net_ros.errors import ConfigError, UnreachableError
from ik_net_ros.kinematics import is_reachable
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.limits import sample_joints
from ik_net_ros.kinematics.tracker_setup import BASE_FRAME, TrackerSetup
from ik_net_ros.kinematics.true_arm import TrueArm
import numpy as np

__all__ = ['SolverErrors', 'errors_against_measured', 'plot_errors', 'workspace_truth',
           'answered_rows',
           'calibration_truth']


@dataclass
class SolverErrors:
    """
    Tool position errors (mm) per row of one solver.

    Against the measurements, and against the truth (simulation only, else None).
    """

    label: str
    measured_mm: np.ndarray
    true_mm: np.ndarray | None = None

    def summary(self) -> dict:
        out = {'solver': self.label,
               'measured_mm_median': float(np.median(self.measured_mm)),
               'measured_mm_p95': float(np.percentile(self.measured_mm, 95))}
        if self.true_mm is not None:
            out['true_mm_median'] = float(np.median(self.true_mm))
            out['true_mm_p95'] = float(np.percentile(self.true_mm, 95))
        return out


def errors_against_measured(label: str, solver, data: PoseJointSet, reference: Arm | None,
                            true_arm: TrueArm | None = None,
                            setup: TrackerSetup = BASE_FRAME) -> SolverErrors:
    """
    Return the errors of ``solver`` on the rows of ``data``.

    ``reference``: the best model of the arm (the calibrated one; None: the default arm, the
    OM-X). ``data``'s measured poses are tool poses in the base frame
    (:func:`~ik_net_ros.data.tracker_rows.in_base_frame`). The truth: each row's true tool pose
    as its tracker sees it (noise-free), taken into the base frame by the calibrated ``setup``
    (as a user's targets from that tracker are), solved, and the true tool pose reached.
    """
    reference = arm_or_default(reference)
    answer = solver.solve(data.measured, on_unreachable='nearest')
    measured = 1e3 * np.linalg.norm(chain_forward(reference, answer)[:, :3]
                                    - chain_forward(reference, data.joints)[:, :3], axis=1)
    truth = None if true_arm is None else _true_errors(solver, true_arm, setup, data.joints)
    return SolverErrors(label, measured, truth)


def answered_rows(solvers: list, data: PoseJointSet, true_arm: TrueArm | None = None,
                  setup: TrackerSetup = BASE_FRAME) -> tuple[list, PoseJointSet, list[str]]:
    """
    Return (the (label, solver) pairs that serve the arm, the rows all of them answer, notes).

    Each solver is asked every row's measured pose (and, with ``true_arm``, its true target) with
    on_unreachable='nearest'. A planar arm's solvers answer every row (the closest reachable
    pose); a UR-layout arm's (the OMY) refuse a pose no branch reaches: those rows are left out
    for all, so every solver is judged on the same rows. A solver that cannot serve the arm at
    all (ConfigError: a plain network of the OMY) is left out; each note says what was.
    """
    keep, kept, notes = np.ones(len(data), bool), [], []
    targets = [data.measured]
    if true_arm is not None:
        targets.append(setup.tool_from_measured(true_arm.tracker.measured_from_tool(
            true_arm.tool_poses(data.joints))))
    for label, solver in solvers:
        try:
            for poses in targets:
                try:
                    solver.solve(poses, on_unreachable='nearest')
                except UnreachableError as e:
                    keep &= ~np.asarray(e.mask, bool)
        except ConfigError as e:
            notes.append(f'{label}: left out ({e})')
            continue
        kept.append((label, solver))
    if not keep.all():
        notes.append(f'{int((~keep).sum())} rows some solver cannot reach left out')
    return kept, data.subset(keep), notes


def _true_errors(solver, true_arm: TrueArm, setup: TrackerSetup, joints) -> np.ndarray:
    """
    Return the true tool error (mm) of ``solver`` for the true arm's tool at ``joints`` (N, dof).

    Each target is that tool as the arm's tracker sees it (noise-free), taken into the base
    frame by the calibrated ``setup``: what a user's targets from that tracker are.
    """
    true_tool = true_arm.tool_poses(joints)
    targets = setup.tool_from_measured(true_arm.tracker.measured_from_tool(true_tool))
    reached = true_arm.tool_poses(solver.solve(targets, on_unreachable='nearest'))
    return 1e3 * np.linalg.norm(reached[:, :3] - true_tool[:, :3], axis=1)


def workspace_truth(solver, true_arm: TrueArm, setup: TrackerSetup = BASE_FRAME,
                    count: int = 10_000, seed: int = 77, arm: Arm | None = None) -> dict:
    """
    Return the true tool error (mm median, p95) of ``solver`` over the whole workspace.

    Targets are the true arm's tool at ``count`` joint configurations uniform in the limits, as
    its tracker sees them (noise-free) and the calibrated ``setup`` takes them into the base
    frame: what a user's targets from that tracker are. ``arm``: the arm as described whose
    limits are sampled (None: the true arm's description, so any arm's joint count). Targets the
    solver refuses with on_unreachable='nearest' (a UR-layout arm's out of its calibrated
    reach: it has no closest reachable pose) are left out: ``refused`` counts them, ``targets``
    counts those judged. Simulation only.
    """
    arm = true_arm.arm.nominal() if arm is None else arm
    joints = sample_joints(arm, count, seed)
    try:
        error = _true_errors(solver, true_arm, setup, joints)
    except UnreachableError as e:
        joints = joints[~np.asarray(e.mask, bool)]
        error = _true_errors(solver, true_arm, setup, joints)
    return {'true_mm_median': float(np.median(error)),
            'true_mm_p95': float(np.percentile(error, 95)), 'targets': len(joints),
            'refused': count - len(joints)}


def usable_rows(data: PoseJointSet, reference: Arm | None, margin: float = 0.05
                ) -> PoseJointSet:
    """
    Select rows whose measured pose the reference arm reaches, ``margin`` rad from the limits.

    At a limit the nearest answer says nothing about accuracy. ``reference`` as
    :func:`errors_against_measured`'s.
    """
    reference = arm_or_default(reference)
    inside = np.all((data.joints > reference.lower + margin)
                    & (data.joints < reference.upper - margin), axis=1)
    reachable = is_reachable(data.measured, reference)
    return data.subset(inside & reachable)


def plot_errors(results: list[SolverErrors], data: PoseJointSet, path) -> None:
    """
    Errors over the workspace: one panel per solver.

    The tool's distance from the base axis against its height, coloured by error (mm).
    """
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib.colors import LogNorm
    import matplotlib.pyplot as plt

    r = np.hypot(data.measured[:, 0], data.measured[:, 1])
    z = data.measured[:, 2]
    fig, axes = plt.subplots(1, len(results), figsize=(3.2 * len(results), 3.4), sharey=True,
                             squeeze=False)
    top = max(float(np.percentile(res.measured_mm, 95)) for res in results)
    norm = LogNorm(vmin=0.05, vmax=max(top, 0.1))  # log: millimetres and tenths side by side
    for ax, res in zip(axes[0], results):
        errors = res.true_mm if res.true_mm is not None else res.measured_mm
        points = ax.scatter(r, z, c=np.maximum(errors, 0.05), s=4, cmap='viridis', norm=norm)
        ax.set_title(f'{res.label}\n{np.median(errors):.2f} mm median', fontsize=8)
        ax.set_xlabel('distance from base axis (m)', fontsize=8)
    axes[0][0].set_ylabel('height (m)', fontsize=8)
    fig.colorbar(points, ax=axes[0].tolist(), label='tool error (mm)')
    fig.savefig(path, dpi=110, bbox_inches='tight')
    plt.close(fig)


def calibration_truth(calibrated: Arm, setup: TrackerSetup, true_arm: TrueArm,
                      count: int = 10_000, seed: int = 77) -> dict:
    """
    Return how far a calibration puts the tool from the truth (mm median, p95), any arm.

    At ``count`` joint configurations uniform in the limits: the tool centre as the calibrated
    arm and tracker frame (``setup``) say the tracker sees it, against where the true arm's
    tracker truly sees it (noise-free). To first order the true error of the calibrated closed
    form for targets given in the tracker frame, with no solver. Simulation only.
    """
    joints = sample_joints(calibrated, count, seed)
    said = TrackerSetup(setup.frame).measured_from_tool(chain_forward(calibrated, joints))
    truth = TrackerSetup(true_arm.tracker.frame).measured_from_tool(true_arm.tool_poses(joints))
    error = 1e3 * np.linalg.norm(said[:, :3] - truth[:, :3], axis=1)
    return {'true_mm_median': float(np.median(error)),
            'true_mm_p95': float(np.percentile(error, 95)), 'targets': count}
