"""
The arm a model was trained for, as its files record it, and the one rule that checks it.

A model file names its arm (``arm``: name, description, the :attr:`~ik_net_ros.arm.Arm.digest`
of its kinematics, and its errors as :meth:`ChainErrors.as_vector
<ik_net_ros.arm.ChainErrors.as_vector>` for a model of a calibrated arm). Files from before arms
had names carry the OM-X's ``geometry`` mapping instead and load as the OM-X, as before.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ik_net_ros.arm import Arm, ArmError, ChainErrors, load_arm
from ik_net_ros.errors import CheckpointError

__all__ = ['arm_record', 'arm_of_record', 'check_arm']

log = logging.getLogger(__name__)


def arm_record(arm: Arm) -> dict:
    """Return what a model file records of ``arm`` (JSON-able)."""
    return {'name': arm.name, 'description': arm.description, 'digest': arm.digest,
            'errors': [float(v) for v in arm.errors.as_vector()]}


def arm_of_record(path: Path | str, record, geometry=None) -> Arm:
    """
    Return the arm a model file records (``record``; ``geometry`` of a file without one).

    A recorded digest other than the installed description's is logged (the description
    changed since the model was trained: its answers are the refinement's to correct), not
    refused.

    Raises
    ------
    CheckpointError
        Neither recorded, an arm this install does not ship, errors that do not fit it, or
        a geometry that is not an OM-X.

    """
    if record is None:
        if geometry is None:
            raise CheckpointError(f'{path}: records no arm (neither "arm" nor "geometry")')
        return _legacy_arm(path, geometry)
    if not isinstance(record, dict) or not isinstance(record.get('name'), str):
        raise CheckpointError(f'{path}: its arm record is not a mapping with a name')
    try:
        arm = load_arm(record['name'], record.get('description') or None)
        errors = record.get('errors')
        if errors is not None:
            arm = arm.with_errors(ChainErrors.from_vector(errors))
    except (ArmError, ValueError, TypeError) as e:
        raise CheckpointError(f'{path}: trained for arm {record["name"]!r}, which cannot be '
                              f'loaded here ({e})') from e
    if record.get('digest') != arm.digest:
        log.warning('%s: trained for another description of %s (digest %s, installed %s): '
                    'retrain it for this one', path, arm.name, str(record.get('digest'))[:12],
                    arm.digest[:12])
    return arm


def _legacy_arm(path, geometry) -> Arm:
    """Return the OM-X (with its errors) of an older file's ``geometry`` mapping."""
    from ik_net_ros.kinematics.legacy_geometry import legacy_arm
    try:
        return legacy_arm(geometry)
    except ValueError as e:
        raise CheckpointError(f'{path}: geometry is not an OM-X: {e}') from e


def check_arm(trained: Arm, arm: Arm | None, where: str) -> None:
    """
    Refuse a model trained for another arm than ``arm`` (None: any), naming both.

    Raises
    ------
    CheckpointError
        The names (or the joint counts) differ.

    """
    if arm is None:
        return
    if trained.name != arm.name or trained.dof != arm.dof:
        raise CheckpointError(f'{where} was trained for the {trained.name} ({trained.dof} '
                              f'joints), not the {arm.name} ({arm.dof} joints): give a model '
                              f'of the {arm.name} (`--arm {arm.name}`; train one with '
                              f'`ik_net_ros train --arm {arm.name}`)')
