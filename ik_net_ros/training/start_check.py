"""
A trained model against the network it could have started from.

A recording of a thousand rows teaches a fresh network little (the README's recipe trained from
scratch saved a model at 152 mm median error); the shipped model of the same variant, or the model
a fine-tuning run started from, answers the same rows far better. ``train`` measures both on its
validation rows, through the solver the node runs, and says so loudly where the new model loses.
"""

from __future__ import annotations

from ik_net_ros.arm import Arm
from ik_net_ros.data import PoseJointSet
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.projection import is_reachable
from ik_net_ros.model import ModelFile
from ik_net_ros.solver.network import NetworkSolver
import numpy as np

__all__ = ['compare_with_start', 'tool_errors_mm', 'WORSE_FACTOR', 'WORSE_MARGIN_MM']

# the new model is "far worse" over this factor of the start's median error and this margin
# (a start at 0.02 mm and a model at 0.05 mm are both exact for an arm)
WORSE_FACTOR = 2.0
WORSE_MARGIN_MM = 1.0


def tool_errors_mm(model: ModelFile, rows: PoseJointSet, arm: Arm) -> np.ndarray:
    """
    Return the tool position error (mm) of ``model``'s answers for ``rows``' poses.

    The model answers as it was trained (its own arm, no refinement: what ``train`` reports;
    targets of another base height shifted into its frame); the error is against the tool at
    the rows' joints in ``arm`` (an :class:`~ik_net_ros.arm.Arm`, its errors included; for a
    recording's FK rows: its poses; for measured rows: to first order, the error against the
    measured pose).
    """
    # another description of the same arm only shifts targets (the solver takes them into the
    # model's frame); another arm (a calibration) is not the model's to be refined to
    trained = model.arm
    same_arm = arm.name == trained.name and arm.errors == trained.errors
    solver = NetworkSolver(model, arm=arm if same_arm else None)
    joints = solver.solve(rows.poses, on_unreachable='nearest')
    return 1e3 * np.linalg.norm(chain_forward(arm, joints)[:, :3]
                                - chain_forward(arm, rows.joints)[:, :3], axis=1)


def compare_with_start(model: ModelFile, start: ModelFile, start_name: str, rows: PoseJointSet,
                       arm: Arm, started_from: bool) -> dict:
    """
    Measure ``model`` and ``start`` on the same ``rows`` (those ``arm`` reaches, upright).

    Returns the figures, and a ``warning`` where the model's median error is over WORSE_FACTOR
    times the start's and WORSE_MARGIN_MM more: what to do instead is named (``--init``, or
    fewer steps from the start the run was given: ``started_from``).
    """
    rows = rows.subset(is_reachable(rows.poses, arm))
    own = float(np.median(tool_errors_mm(model, rows, arm))) if len(rows) else 0.0
    theirs = float(np.median(tool_errors_mm(start, rows, arm))) if len(rows) else 0.0
    out = {'start': start_name, 'rows': len(rows), 'position_mm_median': own,
           'start_position_mm_median': theirs}
    if own > WORSE_FACTOR * theirs and own > theirs + WORSE_MARGIN_MM:
        advice = ('it learnt worse than where it started: fewer epochs or a lower --lr' if
                  started_from else f'start from it instead: --init {start_name} (fine-tuning)')
        out['warning'] = (f'this model is far worse than {start_name} on the same '
                          f'{len(rows)} validation rows: {own:.2f} mm median against '
                          f'{theirs:.2f} mm ({own / max(theirs, 1e-9):.0f}x); {advice}')
    return out
