"""A fast inference path: a trained IKModel compiled to a short list of numpy float32 layers.

Input and output normalisation and every BatchNorm are folded into the Linear layers (exact in
eval mode), dropout vanishes, so a forward pass is a few ``x @ W + b`` and activations. For one
pose this runs several times faster than torch eager (whose per-op dispatch dominates at batch 1);
the tests check it equals the torch model within 1e-5 rad.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from ik_net_ros.networks import FocusedIKNet, IKModel, ImprovedIKNet, OriginalIKNet

__all__ = ['compile_numpy', 'NumpyForward']

# exp overflows to inf for large arguments and h / inf = 0 is then the exact limit of SiLU; an
# np.errstate context per call would cost about 1 us, so the warning is filtered here instead
warnings.filterwarnings('ignore', 'overflow encountered in exp', RuntimeWarning, __name__)


def _silu(x: np.ndarray) -> np.ndarray:
    t = np.exp(-x)  # in place below: at batch 1 every temporary array costs as much as the math
    t += 1.0
    x /= t
    return x


def _neg_silu(h: np.ndarray) -> np.ndarray:
    """-silu(z) from h = -z: h / (1 + exp(h)), one numpy call fewer than _silu."""
    t = np.exp(h)
    t += 1.0
    h /= t
    return h


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0, out=x)


def _gelu(x: np.ndarray) -> np.ndarray:
    from math import erf, sqrt
    return (0.5 * x * (1.0 + np.vectorize(erf, otypes=[np.float32])(x / sqrt(2.0)))
            ).astype(np.float32)


_ACT = {nn.ReLU: _relu, nn.SiLU: _silu, nn.Tanh: np.tanh, nn.GELU: _gelu}


def _linear(layer: nn.Linear, bn: nn.BatchNorm1d | None = None):
    """(W (in, out), b (out,)) as float64 with an eval-mode BatchNorm folded in."""
    w = layer.weight.detach().double().numpy().T.copy()
    b = layer.bias.detach().double().numpy().copy()
    if bn is not None:
        scale = (bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
                 ).numpy()
        w = w * scale
        b = (b - bn.running_mean.double().numpy()) * scale + bn.bias.detach().double().numpy()
    return w, b


def _act(module: nn.Module):
    for kind, fn in _ACT.items():
        if isinstance(module, kind):
            return fn
    raise TypeError(f'no numpy twin for activation {type(module).__name__}')


def _mlp_ops(seq: nn.Sequential) -> list:
    """Ops of Linear [+ BatchNorm] + activation [+ Dropout] sequences."""
    ops, mods, i = [], list(seq), 0
    while i < len(mods):
        m = mods[i]
        if isinstance(m, nn.Linear):
            bn = mods[i + 1] if i + 1 < len(mods) and isinstance(mods[i + 1],
                                                                 nn.BatchNorm1d) else None
            ops.append(('linear', *_linear(m, bn)))
            i += 2 if bn is not None else 1
        elif isinstance(m, nn.Dropout):
            i += 1
        elif isinstance(m, nn.Sequential):
            ops += _mlp_ops(m)
            i += 1
        else:
            ops.append(('act', _act(m)))
            i += 1
    return ops


class NumpyForward:
    """``(N, 7) float32 poses -> (N, 4) float32 joints`` without torch."""

    def __init__(self, model: IKModel):
        net = model.network
        pose_mean = model.pose_mean.double().numpy()
        pose_std = model.pose_std.double().numpy()
        joint_mean = model.joint_mean.double().numpy()
        joint_std = model.joint_std.double().numpy()
        if isinstance(net, OriginalIKNet):
            self.kind, ops = 'chain', _mlp_ops(net.layers)
        elif isinstance(net, ImprovedIKNet):
            self.kind = 'improved'
            ops = _mlp_ops(net.stem)
            self.blocks = [(_mlp_ops(block.body), _act(block.act)) for block in net.blocks]
            ops_head = [('linear', *_linear(net.head))]
            self.head = ops_head
        elif isinstance(net, FocusedIKNet):
            self.kind = 'focused'
            position = self._fold_input(_mlp_ops(net.position), pose_mean[:3], pose_std[:3])
            orientation = self._fold_input(_mlp_ops(net.orientation), pose_mean[3:],
                                           pose_std[3:])
            # the branches side by side as block-diagonal layers: one matmul per depth instead
            # of two plus a concat; the zero blocks add exact zeros, so results are unchanged
            ops = self._block_diagonal(position, orientation) + _mlp_ops(net.merge)
        else:
            raise TypeError(f'no numpy twin for {type(net).__name__}')
        # fold x' = (x - mean) / std into the first Linear layer (focused: done per branch)
        if self.kind != 'focused':
            ops = self._fold_input(ops, pose_mean, pose_std)
        # fold y = y' * std + mean into the last Linear layer
        last = self.head if self.kind == 'improved' else ops
        _, w, b = last[-1]
        last[-1] = ('linear', w * joint_std, b * joint_std + joint_mean)
        self.ops = ops
        self._cast()

    @staticmethod
    def _block_diagonal(first, second) -> list:
        """Two parallel branches (same depth, same activations) as one."""
        if len(first) != len(second) or any(a[0] != b[0] for a, b in zip(first, second)):
            raise TypeError('focused branches of different layouts cannot be fused')
        ops = []
        for a, b in zip(first, second):
            if a[0] == 'linear':
                w = np.zeros((a[1].shape[0] + b[1].shape[0], a[1].shape[1] + b[1].shape[1]))
                w[:a[1].shape[0], :a[1].shape[1]] = a[1]
                w[a[1].shape[0]:, a[1].shape[1]:] = b[1]
                ops.append(('linear', w, np.concatenate([a[2], b[2]])))
            else:
                ops.append(a)
        return ops

    @staticmethod
    def _fold_input(ops, mean, std):
        _, w, b = ops[0]
        w_new = w / std[:, None]
        ops[0] = ('linear', w_new, b - mean @ w_new)
        return ops

    def _cast(self):
        def cast(ops):
            return self._fuse([(op[0], op[1].astype(np.float32), op[2].astype(np.float32))
                               if op[0] == 'linear' else op for op in ops])
        self.ops = cast(self.ops)
        if self.kind != 'improved':  # a plain chain (improved's residuals need true signs)
            self.ops = self._negate_silu_chain(self.ops)
        if self.kind == 'improved':
            self.blocks = [(cast(body), act) for body, act in self.blocks]
            self.head = cast(self.head)

    @staticmethod
    def _fuse(ops) -> list:
        """[(W, b, act or None)]: each Linear with the activation that follows it."""
        steps = []
        for op in ops:
            if op[0] == 'linear':
                steps.append([op[1], op[2], None])
            else:
                steps[-1][2] = op[1]
        return [tuple(step) for step in steps]

    @staticmethod
    def _negate_silu_chain(steps) -> list:
        """Rewrite a plain chain so SiLU layers compute on negated values (see _neg_silu): a
        SiLU layer stores -W, -b and hands the next layer -a, whose weights absorb the sign.
        Exact up to float rounding; saves one numpy call per SiLU at batch 1."""
        out, sign = [], 1.0
        for w, b, act in steps:
            w = w * sign  # the incoming activation is held as sign * a
            if act is _silu:
                out.append((-w, -b, _neg_silu))
                sign = -1.0
            else:
                out.append((w, b, act))
                sign = 1.0
        return out

    @staticmethod
    def _run(steps, x: np.ndarray) -> np.ndarray:
        for w, b, act in steps:
            x = x @ w
            x += b
            if act is not None:
                x = act(x)
        return x

    def __call__(self, poses: np.ndarray) -> np.ndarray:
        x = np.asarray(poses, dtype=np.float32)  # (N, 7), or (7,) for one pose
        if self.kind != 'improved':
            return self._run(self.ops, x)
        h = self._run(self.ops, x)
        for body, act in self.blocks:
            h = act(h + self._run(body, h))
        return self._run(self.head, h)


def compile_numpy(model: IKModel) -> NumpyForward:
    """The numpy twin of an eval-mode IKModel."""
    return NumpyForward(model)
