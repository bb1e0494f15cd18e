"""
A trained network as a CPU solver without torch.

The weights file (``.npz`` beside every checkpoint) folded once, then run by the engine that is
faster for the batch at hand.

- One pose and small batches (the live node): the numpy twin (:mod:`.fast`). Nothing to load
  but numpy: a process that loads a network and solves peaks at 43 MB (231 MB with torch).
- Large batches (more than SMALL_BATCH poses): ONNX Runtime (:mod:`.onnx_engine`), made on the
  first large batch, about 1.5x the numpy twin's rate per core on focused (``make bench``). If
  onnx/onnxruntime are missing or refuse the graph, the numpy twin runs them, said once in the
  log. Both equal torch within 1e-5 rad (tests).
"""

from __future__ import annotations

from dataclasses import replace
import logging
from pathlib import Path
import threading

from ik_net_ros.errors import CheckpointError, ConfigError
from ik_net_ros.kinematics import ArmGeometry
from ik_net_ros.networks.weights import load_weights
from ik_net_ros.solver.base import SMALL_BATCH
from ik_net_ros.solver.fast import NumpyForward
from ik_net_ros.solver.learned import LearnedSolver
import numpy as np

__all__ = ['CpuNetworkSolver', 'ENGINES']

log = logging.getLogger(__name__)
ENGINES = ('auto', 'numpy', 'onnxruntime')


class CpuNetworkSolver(LearnedSolver):
    """
    Runs a network from its weights file on the CPU, torch-free.

    Parameters
    ----------
    path
        The weights file (.npz).
    engine
        'auto' (numpy twin up to SMALL_BATCH poses, ONNX Runtime above where
        installed), 'numpy' (always the twin) or 'onnxruntime' (ONNX Runtime for every
        batch path call; single poses stay on the twin).

    Raises
    ------
    CheckpointError
        On construction: a missing, damaged or unusable weights file.
    ConfigError
        On construction: an unknown engine; 'onnxruntime' asked for and not installed.

    """

    device = 'cpu'

    def __init__(self, path: str | Path, name: str | None = None,
                 geometry: ArmGeometry | None = None, base_height: float | None = None,
                 engine: str = 'auto'):
        if engine not in ENGINES:
            raise ConfigError(f'unknown engine {engine!r}; expected one of {ENGINES}')
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
        self.engine = engine
        self._onnx = None  # made on the first large batch (engine 'auto' or 'onnxruntime')
        self._onnx_lock = threading.Lock()
        probe = np.array([[0.2, 0.0, 0.2, 0.0, 0.0, 0.0, 1.0]], np.float32)
        if not np.all(np.isfinite(self.fast(probe))):
            raise CheckpointError(f'{path}: the model answers with NaN or inf')
        if engine == 'onnxruntime' and self.batch_engine() is self.fast:
            raise ConfigError('engine onnxruntime: not available (pip install onnx onnxruntime)')

    def batch_engine(self):
        """
        Return the callable that runs large batches.

        ONNX Runtime where the engine allows and it is installed (made once, thread-safe), else the
        numpy twin.
        """
        if self.engine == 'numpy':
            return self.fast
        with self._onnx_lock:
            if self._onnx is None:
                from ik_net_ros.solver.onnx_engine import EngineUnavailable, OnnxForward
                try:
                    self._onnx = OnnxForward(self.fast.folded)
                except EngineUnavailable as e:
                    log.warning('large batches run on the numpy twin: %s', e)
                    self._onnx = self.fast
        return self._onnx

    def predict(self, targets: np.ndarray) -> np.ndarray:
        x = np.asarray(targets, dtype=np.float32)  # (N, 7)
        run = self.fast if len(x) <= SMALL_BATCH else self.batch_engine()
        return run(x).astype(np.float64)  # (N, 4)

    def predict_one(self, target: list[float]) -> np.ndarray:
        return self.fast.one(target)
