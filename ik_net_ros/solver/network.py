"""
A trained network as a solver: one class over (model, engine).

What every learned solver does around its network, whatever engine runs it: targets for another
base height are translated into the training frame, a correction model's output is added to its
closed form, and for another arm than the training one (a calibration) the answer is refined in
that arm's geometry.

Engines (:mod:`ik_net_ros.engines`): single poses and small batches on the CPU always run on the
numpy twin (nothing to load but numpy: a process that loads a network and solves peaks at 43 MB,
231 MB with torch); large batches on the engine asked for, 'auto' being ONNX Runtime where
installed (about 1.5x the numpy twin's rate per core on focused, ``make bench``), else the twin,
said once in the log. On a GPU everything runs on torch.
"""

from __future__ import annotations

from dataclasses import replace
import logging
import threading

from ik_net_ros.arm import Arm, arm_or_default, Origin
from ik_net_ros.engines import ENGINES
from ik_net_ros.engines.numpy_engine import NumpyForward
from ik_net_ros.errors import CheckpointError, ConfigError
from ik_net_ros.kinematics import IkSolutions
from ik_net_ros.kinematics.limits import clamp_to_limits, within_limits
from ik_net_ros.kinematics.projection_one_pose import OneSolution
from ik_net_ros.kinematics.validation import as_pose_array
from ik_net_ros.model import ModelFile
from ik_net_ros.model.device import check_device
from ik_net_ros.solver.analytic import closed_form, closed_form_one
from ik_net_ros.solver.base import SMALL_BATCH, Solver
from ik_net_ros.solver.refine import refine_joints
from ik_net_ros.solver.tilt_stage import refine_for_tilts
import numpy as np

__all__ = ['NetworkSolver', 'ENGINES', 'correction_base', 'MAX_CORRECTION']

# rad: a residual larger than this is no calibration error but another elbow branch or a pose at
# a limit (the commanded joints and the closed form disagree on the solution, not the arm); the
# learned correction is trained on smaller ones and never adds more
MAX_CORRECTION = 0.05

log = logging.getLogger(__name__)


def correction_base(closed: np.ndarray, arm: Arm | None) -> np.ndarray:
    """
    Return what a correction model's output is added to: the closed form of its arm.

    ``closed``: the planar closed form's joints (N, dof) or (dof,); for an ``arm`` whose joint
    axes lean, refined to reach the same poses (:func:`refine_for_tilts`). Training labels
    (:func:`ik_net_ros.training.real_arm_data.correction_set`) and answers use this one rule.
    ``arm`` None (or an arm that does not lean): ``closed`` as it is.
    """
    if arm is None or not arm.has_tilts:
        return closed
    q = np.array(closed, dtype=float, ndmin=2)
    finite = np.all(np.isfinite(q), axis=1)
    if finite.any():
        q[finite] = refine_for_tilts(q[finite], arm)[0]
    return q[0] if np.ndim(closed) == 1 else q


class NetworkSolver(Solver):
    """
    A :class:`~ik_net_ros.model.ModelFile` serving targets given for ``arm``.

    Parameters
    ----------
    model
        The trained model (:func:`ik_net_ros.model.load_model`).
    engine
        'auto', 'numpy', 'onnxruntime' or 'torch': what runs large batches.
    device
        'cpu', 'cuda', 'cuda:N' or 'auto' (cuda where available; imports torch).
    arm
        The arm targets come for (an :class:`~ik_net_ros.arm.Arm`, its errors a calibration's;
        default: the model's).
    name
        What the solver was asked for by (default: the model's path).

    Raises
    ------
    ConfigError
        On construction: an unknown engine or device, cuda without a GPU, 'onnxruntime'
        asked for and not installed.
    CheckpointError
        On construction: a model asked to serve another arm (by name) than its own, a
        correction model asked to serve another calibration than its own.

    """

    def __init__(self, model: ModelFile, engine: str = 'auto', device: str = 'cpu',
                 arm: Arm | None = None, name: str | None = None):
        if engine not in ENGINES:
            raise ConfigError(f'unknown engine {engine!r}; expected one of {ENGINES}')
        check_device(device)
        trained = trained_arm(model)
        arm = trained if arm is None else arm_or_default(arm)  # TypeError: not an Arm
        if arm.name != trained.name:
            raise CheckpointError(f'{name or model.path}: a model of {trained.name} cannot '
                                  f'serve {arm.name} (load one trained for it)')
        super().__init__(arm)
        self.model = model
        self.name = name or str(model.path or model.network)
        self.engine = engine
        self._device = None
        if device != 'cpu':
            from ik_net_ros.model.device import resolve_device
            self._device = resolve_device(device)
        self.device = 'cpu' if self._device is None else self._device.type
        # the numpy twin: single poses and small batches on the CPU (None on a GPU)
        self.fast = NumpyForward(model.plan, model.arrays) if self.device == 'cpu' else None
        # circular joints' (cos, sin) outputs to angles (None: the engines answer joints)
        self._decode = model.decode if model.circular.size else None
        self._batch = None  # the large-batch engine, made on the first large batch
        self._batch_lock = threading.Lock()
        if self.device == 'cuda' or engine == 'torch':
            self.parallel = False  # torch spreads its own work (a GPU takes the whole batch)
        if self.device == 'cuda':
            self.batch_chunk = None
        if engine == 'onnxruntime' and self.batch_engine() is self.fast:
            raise ConfigError('engine onnxruntime: not available (pip install onnx onnxruntime)')
        # another arm than the training one (a calibration): the network's answer is a first
        # guess that Gauss-Newton steps take to this arm's exact solution
        self.calibrated = not _same_but_height(arm, trained)
        # a correction model: its output is added to the closed form of its own (calibrated)
        # arm, so it only carries what the parametric calibration leaves (sag...)
        self.correction = model.correction == 'analytic'
        self.uses_closed_form = self.correction  # a plain network makes its own joints
        # a correction's answers learned the real arm, leaning axes included: not refined again
        self.tilt_stage = not self.correction
        if self.correction and self.calibrated:
            raise CheckpointError(
                f'{self.name}: a correction of the closed form for {trained.name} with errors '
                f'{trained.errors} cannot serve errors {arm.errors} (give it its own '
                'calibration)')
        # targets for another base height: the chain only moves along z, so the network
        # sees them translated into the frame it was trained in (one model serves both)
        self.z_shift = base_height(trained) - base_height(arm)

    def batch_engine(self):
        """
        Return the engine that runs large batches (made once, thread-safe).

        ONNX Runtime, where asked for or 'auto' on the CPU and installed, else the numpy twin;
        torch on a GPU or when asked for.
        """
        with self._batch_lock:
            if self._batch is None:
                self._batch = self._make_batch_engine()
        return self._batch

    def _make_batch_engine(self):
        if self.device == 'cuda' or self.engine == 'torch':
            from ik_net_ros.engines.torch_engine import TorchForward
            from ik_net_ros.model.device import resolve_device
            return TorchForward(self.model.to_torch(), self._device or resolve_device('cpu'))
        if self.engine == 'numpy':
            return self.fast
        from ik_net_ros.engines.onnx_engine import EngineUnavailable, OnnxForward
        try:
            return OnnxForward(self.fast.folded)
        except EngineUnavailable as e:
            log.warning('large batches run on the numpy twin: %s', e)
            return self.fast

    def predict(self, targets: np.ndarray) -> np.ndarray:
        """Return the network's joints (N, dof) rad for poses (N, 7) in the training frame."""
        x = np.asarray(targets, dtype=np.float32)
        run = self.fast if self.fast is not None and len(x) <= SMALL_BATCH \
            else self.batch_engine()
        out = np.asarray(run(x), np.float64)
        return out if self._decode is None else self._decode(out)

    def predict_one(self, target: list[float]) -> np.ndarray:
        """Return the network's joints (dof,) for one pose given as 7 floats (training frame)."""
        if self.fast is not None:  # one pose as a 1-D vector: the fewest conversions
            out = self.fast.one(target)
            return out if self._decode is None else self._decode(out)
        return self.predict(np.array([target]))[0]

    def _ur_answers(self, poses, joints: np.ndarray, seed) -> np.ndarray:
        """
        Return a UR-layout arm's exact answers with the learned correction added where safe.

        A plain network's answers were chosen by :func:`~ik_net_ros.solver.ur_pipeline.
        solve_ur` already: returned as they are. A correction's output is added to the
        answers on the no-seed branch family (what it learned,
        :func:`~ik_net_ros.training.real_arm_data.correction_set`; another branch's answer
        stays exact) that are not the seed itself (the arm staying), and kept where the
        corrected answer keeps the rules: the correction within MAX_CORRECTION (what it was
        trained on), inside the limits, clear (the collision model, in the real arm), no joint
        further than ``max_jump`` from the seed (or than the exact answer's move, for a far
        target). Elsewhere the exact answer is sent.
        """
        from ik_net_ros.kinematics.ur_branches import home_branch
        from ik_net_ros.kinematics.ur_closed_form import branch_of
        if not self.correction:
            return joints
        p, _ = as_pose_array(poses)
        q = np.array(joints, dtype=float, ndmin=2)
        ok = branch_of(self.planar_arm, q) == home_branch(self.planar_arm)
        if seed is not None:
            seeds = np.broadcast_to(clamp_to_limits(self.arm, np.array(seed, float, ndmin=2)),
                                    q.shape)
            ok &= np.any(q != seeds, axis=1)
        rows = np.flatnonzero(ok)
        if rows.size == 0:
            return joints
        c = self.predict(p[rows])
        new = correction_base(q[rows], self.arm) + c
        keep = np.all(np.abs(c) <= MAX_CORRECTION, axis=1) & within_limits(self.arm, new)
        if seed is not None and self.max_jump is not None:
            move = np.abs(new - seeds[rows]).max(axis=1)
            keep &= move <= np.maximum(self.max_jump, np.abs(q[rows] - seeds[rows]).max(axis=1))
        check = self._candidate_check()
        if check is not None and keep.any():
            keep[keep] = check.check(new[keep]).clear
        q[rows[keep]] = new[keep]
        return q[0] if np.ndim(joints) == 1 else q

    def _solve(self, targets: np.ndarray, solutions: IkSolutions) -> np.ndarray:
        shifted = targets + np.array([0.0, 0.0, self.z_shift, 0.0, 0.0, 0.0, 0.0]) \
            if self.z_shift else targets
        joints = self.predict(shifted)
        if self.correction:
            joints = joints + correction_base(closed_form(solutions), self.arm)
        if self.calibrated:
            joints = refine_joints(targets, clamp_to_limits(self.arm, joints), self.planar_arm)
        return joints

    def _solve_one(self, target: list[float], solution: OneSolution) -> np.ndarray:
        shifted = [target[0], target[1], target[2] + self.z_shift, *target[3:]] \
            if self.z_shift else target
        joints = self.predict_one(shifted)
        if self.correction:
            joints = joints + correction_base(closed_form_one(solution), self.arm)
        if self.calibrated:
            joints = refine_joints(np.array([target]), clamp_to_limits(
                self.arm, np.asarray(joints, float))[None], self.planar_arm)[0]
        return joints


def trained_arm(model: ModelFile) -> Arm:
    """Return the arm ``model`` was trained for (an old file's: the OM-X its loader read)."""
    return model.arm


def base_height(arm: Arm) -> float:
    """Return the height of joint1's origin in the base frame, m (errors included)."""
    return arm.joints[0].origin.xyz[2] + arm.errors.origin_deltas[0][2]


def _same_but_height(arm: Arm, trained: Arm) -> bool:
    """
    Return whether ``arm`` moves as ``trained`` but for the height of its base.

    The OM-X's two descriptions differ only there (joint1 at z = 0.017 m or 0): the chain moves
    along z, and a network serves both by translating targets (:attr:`NetworkSolver.z_shift`).
    Compared: the kinematics (:meth:`~ik_net_ros.arm.Arm.kinematics_text`) and the errors.
    """
    def grounded(a: Arm) -> Arm:
        first = a.joints[0]
        x, y, _ = first.origin.xyz
        joint = replace(first, origin=Origin((x, y, 0.0), first.origin.rpy))
        deltas = ((a.errors.origin_deltas[0][0], a.errors.origin_deltas[0][1], 0.0),
                  *a.errors.origin_deltas[1:])
        return replace(a, joints=(joint, *a.joints[1:]),
                       errors=replace(a.errors, origin_deltas=deltas))
    arm, trained = grounded(arm), grounded(trained)
    return arm.kinematics_text() == trained.kinematics_text() and arm.errors == trained.errors
