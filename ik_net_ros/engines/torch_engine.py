"""
Torch as an engine: the network's own module on the CPU or a CUDA GPU.

The reference every other engine is tested against, and the only one that runs on a GPU.
"""

from __future__ import annotations

import numpy as np

__all__ = ['TorchForward', 'GPU_BATCH', 'CPU_BATCH']

GPU_BATCH = 65536  # poses per forward pass on a GPU: bounds memory on small GPUs
# on a CPU, chunks whose activations stay in cache: 2x the throughput of 65536 (make bench)
CPU_BATCH = 2048


class TorchForward:
    """
    ``(N, 7) float32 poses -> (N, outputs)`` through the torch module of a model.

    The network's de-normalised outputs, as every engine's (``IKModel.raw``; a model with
    circular joints has a sine column more for each, decoded by the solver).

    Parameters
    ----------
    model
        An eval-mode :class:`~ik_net_ros.networks.IKModel`.
    device
        A torch device (``ik_net_ros.model.device.resolve_device``).

    """

    def __init__(self, model, device):
        import torch
        self._torch = torch
        self.device = device
        self.model = model.to(device).eval()
        self.batch = GPU_BATCH if device.type == 'cuda' else CPU_BATCH

    def __call__(self, poses: np.ndarray) -> np.ndarray:
        torch = self._torch
        x = torch.as_tensor(np.asarray(poses, np.float32))
        with torch.no_grad():
            out = [self.model.raw(x[i:i + self.batch].to(self.device)).cpu()
                   for i in range(0, len(x), self.batch)]
            if self.device.type == 'cuda':
                torch.cuda.synchronize(self.device)
        if not out:
            return np.zeros((0, self.model.joint_mean.numel()), np.float32)
        return torch.cat(out).numpy()
