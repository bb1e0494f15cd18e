"""A trained IKNet as a solver: normalised network inference in batches on CPU or CUDA."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ik_net_ros.errors import CheckpointError
from ik_net_ros.kinematics import ArmGeometry
from ik_net_ros.resources import model_path
from ik_net_ros.solver.fast import compile_numpy
from ik_net_ros.solver.learned import LearnedSolver
from ik_net_ros.training.checkpoint import Checkpoint, load_checkpoint
from ik_net_ros.training.device import resolve_device
import numpy as np
import torch

__all__ = ['NetworkSolver']

BATCH = 65536  # poses per forward pass on a GPU: bounds memory on small GPUs
# on a CPU, chunks whose activations stay in cache: 2x the throughput of 65536 (make bench)
CPU_BATCH = 2048
FAST_BATCH = 64  # up to this many poses, the numpy twin beats torch on the CPU


class NetworkSolver(LearnedSolver):
    """
    Runs an :class:`~ik_net_ros.networks.IKModel` from a checkpoint with torch (CPU or CUDA).

    Small CPU batches go through the numpy twin.
    """

    def __init__(self, checkpoint: Checkpoint, name: str, device: str = 'cpu',
                 geometry: ArmGeometry | None = None):
        super().__init__(name, checkpoint.geometry, geometry, checkpoint.correction)
        self.checkpoint = checkpoint
        self._device = resolve_device(device)
        self.device = self._device.type
        self.model = checkpoint.model.to(self._device).eval()
        # torch spreads its own work over the cores; a GPU takes the whole batch (BATCH at a
        # time) rather than the CPU's cache-sized chunks
        self.parallel = False
        if self._device.type == 'cuda':
            self.batch_chunk = None
        # small CPU batches (the live node's single targets) skip torch's per-op dispatch
        self.fast = compile_numpy(checkpoint.model) if self._device.type == 'cpu' else None

    @classmethod
    def from_name(cls, name: str, device: str = 'cpu', geometry: ArmGeometry | None = None,
                  base_height: float | None = None) -> NetworkSolver:
        """
        Load a shipped model by name, or a checkpoint by path.

        Parameters
        ----------
        name
            'original', 'improved', 'focused' (the shipped models) or a checkpoint's path.
        device
            'cpu', 'cuda', 'cuda:N' or 'auto' (cuda when available).
        geometry
            The geometry targets come in (default: the checkpoint's).
        base_height
            Replaces the base height of that geometry (m).

        Raises
        ------
        CheckpointError
            Missing, corrupt or mismatched checkpoint.
        ConfigError
            Bad device.

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
        """Return the reference path: the torch model, in batches of BATCH (GPU) or CPU_BATCH."""
        x = torch.as_tensor(targets, dtype=torch.float32)
        batch = BATCH if self._device.type == 'cuda' else CPU_BATCH
        out = [self.model(x[i:i + batch].to(self._device)).cpu()
               for i in range(0, len(x), batch)]
        if self._device.type == 'cuda':
            torch.cuda.synchronize(self._device)
        return torch.cat(out).numpy().astype(np.float64)

    def predict_one(self, target: list[float]) -> np.ndarray:
        if self.fast is not None:  # one pose as a 1-D vector: the fewest conversions
            return self.fast.one(target)
        return self.predict(np.array([target]))[0]
