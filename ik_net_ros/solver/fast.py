"""A fast, torch-free inference path: a network's inference form (its ``inference_plan``: a
JSON-able description naming state-dict arrays) and its arrays compiled to a short list of numpy
float32 layers.

Input and output normalisation and every BatchNorm are folded into the Linear layers (exact in
eval mode), dropout vanishes, so a forward pass is a few ``x @ W + b`` and activations. For one
pose this runs several times faster than torch eager (whose per-op dispatch dominates at batch 1);
the tests check it equals the torch model within 1e-5 rad. Plans: 'chain' (a sequence of
layers), 'residual' (stem, blocks h <- act(h + body(h)), head) and 'branches' (sub-chains on
slices of the pose, concatenated, then a chain); any network ``train`` accepts compiles.
"""

from __future__ import annotations

import warnings

import numpy as np

from ik_net_ros.networks.weights import model_arrays

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


_ACT = {'relu': _relu, 'silu': _silu, 'tanh': np.tanh, 'gelu': _gelu}


def _ops(plan_ops: list[dict], arrays: dict[str, np.ndarray]) -> list:
    """[('linear', W (in, out), b), ('act', fn)] of plan ops, each BatchNorm folded into the
    Linear before it (float64).

    Raises:
        TypeError: an op this path does not know, or a BatchNorm not after a Linear.
        KeyError: a missing array.
    """
    ops: list = []
    for op in plan_ops:
        if 'linear' in op:
            name = op['linear']
            ops.append(('linear', np.array(arrays[f'{name}.weight'], np.float64).T.copy(),
                        np.array(arrays[f'{name}.bias'], np.float64).copy()))
        elif 'batchnorm' in op:
            if not ops or ops[-1][0] != 'linear':
                raise TypeError('a BatchNorm that does not follow a Linear layer')
            name, (_, w, b) = op['batchnorm'], ops[-1]
            scale = np.asarray(arrays[f'{name}.weight'], np.float64) / np.sqrt(
                np.asarray(arrays[f'{name}.running_var'], np.float64) + op.get('eps', 1e-5))
            ops[-1] = ('linear', w * scale,
                       (b - np.asarray(arrays[f'{name}.running_mean'], np.float64)) * scale
                       + np.asarray(arrays[f'{name}.bias'], np.float64))
        elif op.get('act') in _ACT:
            ops.append(('act', _ACT[op['act']]))
        else:
            raise TypeError(f'no numpy twin for op {op}')
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
    """``(N, 7) or (7,) float32 poses -> (N, 4) or (4,) float32 joints`` without torch.

    Args:
        plan: a network's ``inference_plan()``.
        arrays: its state dict as numpy arrays (with ``pose_mean, pose_std, joint_mean,
            joint_std``).

    Raises:
        TypeError, KeyError, ValueError: a plan or arrays this path cannot run.
    """

    def __init__(self, plan: dict, arrays: dict[str, np.ndarray]):
        pose_mean, pose_std, joint_mean, joint_std = (
            np.asarray(arrays[k], np.float64) for k in ('pose_mean', 'pose_std', 'joint_mean',
                                                        'joint_std'))
        kind = plan.get('kind')
        self.branches = None
        if kind == 'chain':
            self.kind = 'chain'
            ops = self._fold_input(_ops(plan['ops'], arrays), pose_mean, pose_std)
        elif kind == 'residual':
            self.kind = 'improved'
            ops = self._fold_input(_ops(plan['stem'], arrays), pose_mean, pose_std)
            blocks = [(_fuse(_ops(block['body'], arrays)), _ACT[block['act']])
                      for block in plan['blocks']]
            head = _ops(plan['head'], arrays)
        elif kind == 'branches':
            self.kind = 'chain'
            parts = [(list(idx), self._fold_input(_ops(branch, arrays), pose_mean[idx],
                                                  pose_std[idx]))
                     for idx, branch in zip(plan['inputs'], plan['branches'])]
            merge = _ops(plan['merge'], arrays)
            fusable = (len(parts) == 2 and parts[0][0] + parts[1][0] == list(range(7))
                       and _same_layout(parts[0][1], parts[1][1]))
            if fusable:
                # the branches side by side as block-diagonal layers: one matmul per depth
                # instead of two plus a concat; the zero blocks add exact zeros
                ops = self._block_diagonal(parts[0][1], parts[1][1]) + merge
            else:  # branches of different layouts: each runs on its own, then the merge
                self.kind = 'branches'
                ops = merge
                self.branches = [(np.array(idx), [(w.astype(np.float32), b.astype(np.float32),
                                                   act) for w, b, act in _fuse(branch)])
                                 for idx, branch in parts]
        else:
            raise TypeError(f'no numpy twin for a network plan of kind {kind!r}')
        # fold y = y' * std + mean into the last Linear layer
        last = head if self.kind == 'improved' else ops
        _, w, b = last[-1]
        last[-1] = ('linear', w * joint_std, b * joint_std + joint_mean)
        augment = _Augmenter()
        if self.kind == 'chain':
            steps = _negate_silu_chain(_fuse(ops))
            self.steps = augment.chain(steps, carry_last=False)
        elif self.kind == 'branches':
            self.steps = [(w.astype(np.float32), b.astype(np.float32), act)
                          for w, b, act in _fuse(ops)]
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

    def _run_branches(self, x: np.ndarray) -> np.ndarray:
        """Branches of different layouts: each on its slice, concatenated, then the merge."""
        outs = []
        for idx, steps in self.branches:
            h = x[..., idx]
            for w, b, act in steps:
                h = h.dot(w) + b
                if act is not None:
                    h = act(h)
            outs.append(h)
        h = np.concatenate(outs, axis=-1)
        for w, b, act in self.steps:
            h = h.dot(w) + b
            if act is not None:
                h = act(h)
        return h

    def _run(self, x: np.ndarray) -> np.ndarray:
        """x: (..., 8) poses with a trailing 1 -> (..., 4) joints."""
        if self.kind == 'branches':
            return self._run_branches(x[..., :7])
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


def _same_layout(first: list, second: list) -> bool:
    return len(first) == len(second) and all(
        a[0] == b[0] and (a[0] != 'act' or a[1] is b[1]) for a, b in zip(first, second))


def compile_numpy(model) -> NumpyForward:
    """The numpy twin of an eval-mode IKModel, through its network's inference form.

    Raises:
        TypeError: the network has no inference form this path can run.
    """
    plan = getattr(model.network, 'inference_plan', None)
    if plan is None:
        raise TypeError(f'{type(model.network).__name__} supplies no inference_plan()')
    return NumpyForward(plan(), model_arrays(model))
