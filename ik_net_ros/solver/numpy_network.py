"""A trained network as a CPU solver without torch: the weights file (``.npz`` beside every
checkpoint) compiled to the numpy twin. The process never imports torch: a third of the memory,
the same answers (the twin equals torch within 1e-5 rad)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ik_net_ros.errors import CheckpointError
from ik_net_ros.kinematics import ArmGeometry
from ik_net_ros.networks.weights import load_weights
from ik_net_ros.solver.fast import NumpyForward
from ik_net_ros.solver.learned import LearnedSolver

__all__ = ['NumpyNetworkSolver', 'CHUNK']

CHUNK = 2048  # poses per forward pass: activations stay in cache


class NumpyNetworkSolver(LearnedSolver):
    """Runs a network from its weights file with numpy (CPU only)."""

    device = 'cpu'

    def __init__(self, path: str | Path, name: str | None = None,
                 geometry: ArmGeometry | None = None, base_height: float | None = None):
        """Raises CheckpointError for a missing, damaged or unusable weights file."""
        arrays, meta = load_weights(path)
        try:
            trained = ArmGeometry(**meta['geometry'])
            self.fast = NumpyForward(meta['plan'], arrays)
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f'{path}: weights do not fit their inference form ({e})') from e
        geometry = geometry or trained
        if base_height is not None:
            geometry = replace(geometry, base_height=base_height)
        super().__init__(name or str(path), trained, geometry, meta.get('correction'))
        self.meta = meta
        probe = np.array([[0.2, 0.0, 0.2, 0.0, 0.0, 0.0, 1.0]], np.float32)
        if not np.all(np.isfinite(self.fast(probe))):
            raise CheckpointError(f'{path}: the model answers with NaN or inf')

    def predict(self, targets: np.ndarray) -> np.ndarray:
        x = np.asarray(targets, dtype=np.float32)
        if len(x) <= CHUNK:
            return self.fast(x).astype(np.float64)
        return np.concatenate([self.fast(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)]
                              ).astype(np.float64)

    def predict_one(self, target: list[float]) -> np.ndarray:
        return self.fast.one(target)
