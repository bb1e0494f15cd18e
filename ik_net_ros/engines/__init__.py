"""
Layer 3: what runs a trained network, engines behind one small protocol.

An engine is a callable ``(N, 7) float32 poses -> (N, outputs)`` over a model's weights: one
joint (rad) per output, except that a model with circular joints
(:mod:`ik_net_ros.networks.angles`) answers those as cosine and sine, which the solver decodes;
the solver (:class:`~ik_net_ros.solver.network.NetworkSolver`) picks one per batch size.

| engine | module | needs | for |
|---|---|---|---|
| numpy twin | :mod:`.numpy_engine` | numpy | single poses and small batches (the live node) |
| ONNX Runtime | :mod:`.onnx_engine` | onnx, onnxruntime | large CPU batches |
| torch | :mod:`.torch_engine` | torch | CUDA, and the reference path on the CPU |

All run the network's folded form or the torch module of the same weights and agree within
1e-5 rad (tests).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

__all__ = ['Engine', 'ENGINES']

# the names a solver takes: 'auto' is the numpy twin for small batches and ONNX Runtime (where
# installed) for large ones on the CPU, torch on a GPU
ENGINES = ('auto', 'numpy', 'onnxruntime', 'torch')


class Engine(Protocol):
    """``(N, 7) float32 poses -> (N, outputs)``; safe to call from several threads."""

    def __call__(self, poses: np.ndarray) -> np.ndarray:
        """Return the network's de-normalised outputs (N, outputs) for poses (N, 7)."""
