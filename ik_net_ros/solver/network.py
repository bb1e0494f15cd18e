"""A trained IKNet as a solver: normalised network inference in batches on CPU or CUDA."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ik_net_ros.errors import CheckpointError
from ik_net_ros.kinematics import ArmGeometry, IkSolutions, clamp_to_limits
from ik_net_ros.kinematics.scalar import OneSolution
from ik_net_ros.resources import model_path
from ik_net_ros.solver.analytic import closed_form, closed_form_one
from ik_net_ros.solver.base import Solver
from ik_net_ros.solver.fast import compile_numpy
from ik_net_ros.solver.refine import refine_joints
from ik_net_ros.training.checkpoint import Checkpoint, load_checkpoint
from ik_net_ros.training.device import resolve_device

__all__ = ['NetworkSolver']

BATCH = 65536  # poses per forward pass on a GPU: bounds memory on small GPUs
# on a CPU, chunks whose activations stay in cache: 2x the throughput of 65536 (make bench)
CPU_BATCH = 2048
FAST_BATCH = 64  # up to this many poses, the numpy twin beats torch on the CPU


class NetworkSolver(Solver):
    """Runs an :class:`~ik_net_ros.networks.IKModel` from a checkpoint."""

    def __init__(self, checkpoint: Checkpoint, name: str, device: str = 'cpu',
                 geometry: ArmGeometry | None = None):
        trained = checkpoint.geometry
        geometry = geometry or trained
        super().__init__(geometry)
        # another arm than the training one (a calibration): the network's answer is a first
        # guess that Gauss-Newton steps take to this arm's exact solution
        self.calibrated = replace(geometry, base_height=trained.base_height) != trained
        # a correction model: its output is added to the closed form of its own (calibrated)
        # arm, so it only carries what the parametric calibration leaves (sag...)
        self.correction = checkpoint.correction == 'analytic'
        if self.correction and self.calibrated:
            raise CheckpointError(
                f'{name}: a correction of the closed form for geometry {trained.as_dict()} '
                f'cannot serve geometry {geometry.as_dict()} (give it its own calibration)')
        # targets for another base height: the chain only moves along z, so the network
        # sees them translated into the frame it was trained in (one model serves both)
        self.z_shift = trained.base_height - geometry.base_height
        self.name = name
        self.checkpoint = checkpoint
        self._device = resolve_device(device)
        self.device = self._device.type
        self.model = checkpoint.model.to(self._device).eval()
        # small CPU batches (the live node's single targets) skip torch's per-op dispatch
        self.fast = compile_numpy(checkpoint.model) if self._device.type == 'cpu' else None

    @classmethod
    def from_name(cls, name: str, device: str = 'cpu', geometry: ArmGeometry | None = None,
                  base_height: float | None = None) -> NetworkSolver:
        """Load a shipped model by name, or a checkpoint by path.

        Args:
            geometry: the geometry targets come in (default: the checkpoint's).
            base_height: replaces the base height of that geometry (m).

        Raises:
            CheckpointError: missing, corrupt or mismatched checkpoint.
            ConfigError: bad device.
        """
        resolve_device(device)  # a bad device is reported before any file is read
        path = Path(name) if name.endswith(('.pt', '.pth')) else model_path(name)
        if not path.is_file():
            raise CheckpointError(f'model {name!r}: no checkpoint at {path} (train one with '
                                  '`ik_net_ros train`, or give a path)')
        checkpoint = load_checkpoint(path)
        geometry = geometry or checkpoint.geometry
        if base_height is not None:
            geometry = replace(geometry, base_height=base_height)
        return cls(checkpoint, name=name, device=device, geometry=geometry)

    @torch.no_grad()
    def predict(self, targets: np.ndarray) -> np.ndarray:
        """Raw network output (N, 4) rad for projected poses (N, 7); no clamping."""
        if self.fast is not None and len(targets) <= FAST_BATCH:
            return self.fast(np.asarray(targets, dtype=np.float32)).astype(np.float64)
        return self.predict_torch(targets)

    @torch.no_grad()
    def predict_torch(self, targets: np.ndarray) -> np.ndarray:
        """The reference path: the torch model, in batches of BATCH (GPU) or CPU_BATCH."""
        x = torch.as_tensor(targets, dtype=torch.float32)
        batch = BATCH if self._device.type == 'cuda' else CPU_BATCH
        out = [self.model(x[i:i + batch].to(self._device)).cpu()
               for i in range(0, len(x), batch)]
        if self._device.type == 'cuda':
            torch.cuda.synchronize(self._device)
        return torch.cat(out).numpy().astype(np.float64)

    def _solve(self, targets: np.ndarray, solutions: IkSolutions) -> np.ndarray:
        shifted = targets + np.array([0.0, 0.0, self.z_shift, 0.0, 0.0, 0.0, 0.0]) \
            if self.z_shift else targets
        joints = self.predict(shifted)
        if self.correction:
            joints = joints + closed_form(solutions)
        if self.calibrated:
            joints = refine_joints(targets, clamp_to_limits(joints), self.geometry)
        return joints

    def _solve_one(self, target: list[float], solution: OneSolution) -> np.ndarray:
        shifted = [target[0], target[1], target[2] + self.z_shift, *target[3:]] \
            if self.z_shift else target
        if self.fast is not None:  # one pose as a 1-D vector: the fewest conversions
            joints = self.fast.one(shifted)
        else:
            joints = self.predict(np.array([shifted]))[0]
        if self.correction:
            joints = joints + closed_form_one(solution)
        if self.calibrated:
            joints = refine_joints(np.array([target]), clamp_to_limits(
                np.asarray(joints, float))[None], self.geometry)[0]
        return joints
