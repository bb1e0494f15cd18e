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


# a 0-d float32 one: adding it costs half of adding the Python float 1.0 (no scalar conversion)
_ONE = np.ones((), np.float32)


def _silu(x: np.ndarray) -> np.ndarray:
    t = np.exp(-x)  # in place below: at batch 1 every temporary array costs as much as the math
    t += _ONE
    x /= t
    return x


def _neg_silu(h: np.ndarray) -> np.ndarray:
    """-silu(z) from h = -z: h / (1 + exp(h)), one numpy call fewer than _silu."""
    t = np.exp(h)
    t += _ONE
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


def _fuse(ops) -> list:
    """[(W, b, act or None)]: each Linear with the activation that follows it."""
    steps = []
    for op in ops:
        if op[0] == 'linear':
            steps.append([op[1], op[2], None])
        else:
            steps[-1][2] = op[1]
    return [tuple(step) for step in steps]


def _negate_silu_chain(steps) -> list:
    """Rewrite a plain chain so SiLU layers compute on negated values (see _neg_silu): a SiLU
    layer stores -W, -b and hands the next layer -a, whose weights absorb the sign. Exact up to
    float rounding; saves one numpy call per SiLU at batch 1."""
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


class _Augmenter:
    """Moves every bias into its matmul. Each activation vector carries one extra unit holding a
    constant c (1 at the input); a layer's bias becomes the row b / c of its weights, and a
    column of its weights makes the next constant: a pre-activation of +-40, which SiLU, ReLU
    and GELU pass unchanged (tanh: 1). One numpy call less per layer at batch 1."""

    def __init__(self):
        self.const = 1.0  # value of the extra unit of the current activation vector

    def layer(self, w: np.ndarray, b: np.ndarray, act, carry: bool) -> np.ndarray:
        """(in + 1, out [+ 1]) float32 weights; ``carry``: make the next constant unit."""
        rows = np.vstack([w, b[None] / self.const])
        if not carry:
            return rows.astype(np.float32)
        column = np.zeros((rows.shape[0], 1))
        pre = -40.0 if act is _neg_silu else 40.0
        column[-1, 0] = pre / self.const
        weights = np.hstack([rows, column]).astype(np.float32)
        # the constant the extra unit really holds, computed as at run time (float32)
        unit = np.zeros((1, weights.shape[0]), np.float32)
        unit[0, -1] = self.const
        value = (unit @ weights)[:, -1:]
        self.const = float(act(value)[0, 0]) if act is not None else float(value[0, 0])
        return weights

    def chain(self, steps, carry_last: bool) -> list:
        return [(self.layer(w, b, act, carry_last or i < len(steps) - 1), act)
                for i, (w, b, act) in enumerate(steps)]


class NumpyForward:
    """``(N, 7) or (7,) float32 poses -> (N, 4) or (4,) float32 joints`` without torch."""

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
            blocks = [(_fuse(_mlp_ops(block.body)), _act(block.act)) for block in net.blocks]
            head = [('linear', *_linear(net.head))]
        elif isinstance(net, FocusedIKNet):
            self.kind = 'chain'
            position = self._fold_input(_mlp_ops(net.position), pose_mean[:3], pose_std[:3])
            orientation = self._fold_input(_mlp_ops(net.orientation), pose_mean[3:],
                                           pose_std[3:])
            # the branches side by side as block-diagonal layers: one matmul per depth instead
            # of two plus a concat; the zero blocks add exact zeros, so results are unchanged
            ops = self._block_diagonal(position, orientation) + _mlp_ops(net.merge)
        else:
            raise TypeError(f'no numpy twin for {type(net).__name__}')
        # fold x' = (x - mean) / std into the first Linear layer (focused: done per branch)
        if not isinstance(net, FocusedIKNet):
            ops = self._fold_input(ops, pose_mean, pose_std)
        # fold y = y' * std + mean into the last Linear layer
        last = head if self.kind == 'improved' else ops
        _, w, b = last[-1]
        last[-1] = ('linear', w * joint_std, b * joint_std + joint_mean)
        augment = _Augmenter()
        if self.kind == 'chain':
            steps = _negate_silu_chain(_fuse(ops))
            self.steps = augment.chain(steps, carry_last=False)
        else:
            self._compile_improved(_fuse(ops), blocks, _fuse(head), augment)

    def _compile_improved(self, stem, blocks, head, augment: _Augmenter) -> None:
        """Stem, residual blocks h <- act(h + body(h)), head. With SiLU throughout, h is held
        negated (g = -h) so every SiLU is the cheaper _neg_silu: the block body computes
        -z1 = g W1 - b1, then -(h + y) = g + (-a1) W2 - b2."""
        if any(len(body) != 2 or body[1][2] is not None for body, _ in blocks):
            raise TypeError('residual block layouts other than Linear-act-Linear')
        negate = all(act is _silu for _, _, act in stem) and all(
            act is _silu and body[0][2] is _silu for body, act in blocks)
        self.negated = negate
        if negate:
            stem = _negate_silu_chain(stem)
            blocks = [([(w1, -b1, _neg_silu), (w2, -b2, None)], _neg_silu)
                      for ((w1, b1, _), (w2, b2, _)), _ in blocks]
            (wh, bh, act), = head
            head = [(-wh, bh, act)]
        self.steps = augment.chain(stem, carry_last=True)
        block_const = augment.const
        self.blocks = []
        for body, act in blocks:
            (w1, b1, act1), (w2, b2, _) = body
            first = augment.layer(w1, b1, act1, carry=True)
            second = augment.layer(w2, b2, None, carry=False)
            second = np.hstack([second, np.zeros((second.shape[0], 1), np.float32)])
            # the extra unit of h + body(h) is h's constant (+ 0), then the block activation
            augment.const = float(act(np.full((1, 1), block_const, np.float32))[0, 0])
            self.blocks.append((first, act1, second, act))
            block_const = augment.const
        (wh, bh, _), = head
        self.head = augment.layer(wh, bh, None, carry=False)

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

    def _run(self, x: np.ndarray) -> np.ndarray:
        """x: (..., 8) poses with a trailing 1 -> (..., 4) joints."""
        # ndarray.dot: ~0.4 us less than the @ operator per call at batch 1
        for w, act in self.steps:
            x = x.dot(w)
            if act is not None:
                x = act(x)
        if self.kind == 'chain':
            return x
        if self.negated:  # _neg_silu written out: 6 Python calls less per pose
            exp, one = np.exp, _ONE
            for first, _, second, _ in self.blocks:  # g <- -silu(-g + body(-g))
                t = x.dot(first)
                e = exp(t)
                e += one
                t /= e
                t = t.dot(second)
                t += x
                e = exp(t)
                e += one
                t /= e
                x = t
            return x.dot(self.head)
        for first, act1, second, act in self.blocks:  # g <- act(g + body(g))
            t = act1(x.dot(first)).dot(second)
            t += x
            x = act(t)
        return x.dot(self.head)

    def __call__(self, poses: np.ndarray) -> np.ndarray:
        x = np.asarray(poses, dtype=np.float32)  # (N, 7), or (7,) for one pose
        return self._run(np.concatenate([x, np.ones(x.shape[:-1] + (1,), np.float32)], -1))

    def one(self, target: list[float]) -> np.ndarray:
        """(4,) float32 joints of one pose given as 7 Python floats: the fewest conversions."""
        return self._run(np.array([*target, 1.0], dtype=np.float32))


def compile_numpy(model: IKModel) -> NumpyForward:
    """The numpy twin of an eval-mode IKModel."""
    return NumpyForward(model)
