"""Layer 6: solvers behind one API, :func:`load_solver`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ik_net_ros.arm import Arm, arm_or_default, ChainErrors, DEFAULT_ARM, default_arm, load_arm
from ik_net_ros.engines import ENGINES
from ik_net_ros.errors import CheckpointError, ConfigError
from ik_net_ros.kinematics.calibration_file import load_calibration
from ik_net_ros.model import load_model, MODEL_SUFFIXES, shipped_models
from ik_net_ros.model.device import check_device
from ik_net_ros.model.model_file import models_folder
from ik_net_ros.solver.analytic import AnalyticSolver
from ik_net_ros.solver.base import Solver
from ik_net_ros.solver.network import NetworkSolver, trained_arm
from ik_net_ros.solver.refine import refine_joints

__all__ = ['Solver', 'AnalyticSolver', 'NetworkSolver', 'load_solver', 'refine_joints',
           'shipped_models', 'learned_models', 'default_model', 'DEFAULT_MODEL']

DEFAULT_MODEL = 'focused'  # what a node runs where its arm has learned models shipped


def learned_models(arm: Arm | str | None = None) -> list[str]:
    """
    Return the names of the learned models shipped for ``arm`` (None: the OM-X), maybe none.

    ``models/<arm name>/`` holds an arm's; ``models/`` itself the OM-X's (shipped before arms
    had names), which are no other arm's.
    """
    name = arm if isinstance(arm, str) else (arm.name if arm is not None else DEFAULT_ARM)
    if name != DEFAULT_ARM and models_folder(name).name != name:
        return []
    return shipped_models(name)


def default_model(arm: Arm | str | None = None) -> str:
    """Return DEFAULT_MODEL where ``arm`` has it shipped, else 'analytic' (the closed form)."""
    return DEFAULT_MODEL if DEFAULT_MODEL in learned_models(arm) else 'analytic'


def load_solver(name: str | Path = 'focused', device: str = 'cpu', arm: Arm | str | None = None,
                description: str | None = None, calibration: str | Path | None = None,
                engine: str = 'auto') -> Solver:
    """
    Return a solver by name.

    Parameters
    ----------
    name
        'analytic' (closed form), 'original' | 'improved' | 'focused' (the shipped models in
        ``models/``), or the path of a checkpoint (.pt) or of its weights file (.npz).
    device
        'cpu', 'cuda', 'cuda:N' or 'auto' (cuda when available). 'analytic' runs on
        the CPU whatever the (valid) device. On 'cpu' a network runs from its torch-free
        weights file (written beside every checkpoint): torch is never imported unless
        engine 'torch' is asked for.
    arm
        The arm targets are given for: a name ('open_manipulator_x', 'omx_f', ... or an arm
        YAML, :func:`~ik_net_ros.arm.load_arm`) or an :class:`~ik_net_ros.arm.Arm` (its
        errors a calibration's). Default: the model file's arm for a network, the OM-X
        (ROBOTIS's humble description) for 'analytic'. A model file of another arm is refused
        by name (CheckpointError); a network serves an arm that differs from its model
        file's only in the base height by translating the targets along z (the base height
        only moves the chain), and refines its answers in any other calibration.
    description
        For an arm with several descriptions (the OM-X: 'humble' or 'jazzy', joint1 at
        z = 0.017 m or 0.0): the frame targets are given in; the base height of the arm.
    calibration
        A calibration file (``ik_net_ros calibrate``): the errors of one real arm (joint
        offsets, link lengths, leaning axes). The closed form solves in it exactly; a network's
        answer is refined in it (its training arm was the nominal one).
    engine
        What runs a network's large batches: 'auto' (on the CPU ONNX Runtime where
        installed, else the numpy twin; torch on a GPU), 'numpy', 'onnxruntime' or 'torch'
        (see :class:`~ik_net_ros.solver.network.NetworkSolver`). Single poses and small
        batches on the CPU always run on the numpy twin.

    Raises
    ------
    ConfigError
        Unknown name, device or engine, cuda asked for without a GPU, or
        engine 'onnxruntime' without ONNX Runtime installed.
    CheckpointError
        A checkpoint is missing, corrupt or foreign.
    DatasetError
        An unreadable or malformed calibration file.

    """
    check_device(device)
    if engine not in ENGINES:
        raise ConfigError(f'unknown engine {engine!r}; expected one of {ENGINES}')
    arm = _arm_named(arm)
    if calibration is not None and str(calibration) != '':
        arm = _calibrated(arm, load_calibration(calibration))
    if str(name) == 'analytic':
        return AnalyticSolver(_described(arm or default_arm(), description))
    shipped = shipped_models(arm)
    if str(name) not in shipped and Path(str(name)).suffix not in MODEL_SUFFIXES:
        raise ConfigError(f'unknown solver {str(name)!r}: expected analytic, '
                          f'{", ".join(shipped)} or a model path (*.pt, *.npz)')
    try:
        model = load_model(name, arm=arm)  # a model of another arm: refused by name
    except CheckpointError as e:
        if arm is None or Path(str(name)).suffix in MODEL_SUFFIXES or str(name) in \
                learned_models(arm):
            raise
        raise CheckpointError(f'no learned model {str(name)!r} of the {arm.name} is shipped '
                              f"(the shipped ones are another arm's: {e}); use model "
                              f"'analytic' (the exact closed form) until one is trained") \
            from e
    trained = trained_arm(model)
    if arm is not None and arm.is_nominal and not calibration and not trained.is_nominal:
        # no calibration given: a model trained for a calibrated arm (a correction) brings
        # its own calibration, as its file says; the arm named only chose which arm (and
        # which of its descriptions)
        arm = trained if trained.description == arm.description \
            else _described(trained, arm.description)
    return NetworkSolver(model, engine, device, _described(arm or trained, description),
                         str(name))


def _arm_named(arm) -> Arm | None:
    """
    Return the Arm of a name, an Arm, or None.

    Raises
    ------
    ConfigError
        An unknown arm name or an unreadable arm file.
    TypeError
        Neither a name, a path, an Arm nor None.

    """
    if arm is None or isinstance(arm, Arm):
        return arm
    if isinstance(arm, (str, Path)):
        try:
            return load_arm(arm)
        except (ValueError, OSError) as e:
            raise ConfigError(f'arm {str(arm)!r}: {e}') from e
    return arm_or_default(arm)  # TypeError: not an Arm


def _calibrated(arm: Arm | None, calibration) -> Arm:
    """
    Return ``arm`` with a calibration file's errors (or the calibrated arm the file holds).

    Raises
    ------
    ConfigError
        A calibration of another arm, or of another number of joints.

    """
    if isinstance(calibration, ChainErrors):
        base = arm or default_arm()
        if len(calibration.offsets) != base.dof:
            raise ConfigError(f'a calibration of {len(calibration.offsets)} joints cannot '
                              f'calibrate {base.name} ({base.dof} joints)')
        return base.with_errors(calibration)
    calibrated = arm_or_default(calibration)  # the calibrated Arm a file holds
    if arm is not None and calibrated.name != arm.name:
        raise ConfigError(f'the calibration is of {calibrated.name}, not of {arm.name}')
    return calibrated


def _described(arm: Arm, description: str | None) -> Arm:
    """
    Return ``arm`` in the frame of ROBOTIS's ``description`` of it (None: as it is).

    Its errors are kept but for the height of joint1, which is the description's.

    Raises
    ------
    ConfigError
        A description the arm has not.

    """
    if description is None or (description == arm.description
                               and not arm.errors.origin_deltas[0][2]):
        return arm
    try:
        described = load_arm(arm.name, description)
    except ValueError as e:
        raise ConfigError(str(e)) from e
    deltas = arm.errors.origin_deltas
    first = (deltas[0][0], deltas[0][1], 0.0)
    return described.with_errors(replace(arm.errors, origin_deltas=(first, *deltas[1:])))
