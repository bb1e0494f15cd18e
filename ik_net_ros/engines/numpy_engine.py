"""
The numpy twin: a fast, torch-free inference path.

A network's folded form (:mod:`ik_net_ros.engines.folding`: normalisation and BatchNorm already
inside the Linear layers) compiled to a short list of numpy float32 layers, so a forward pass is a
few ``x @ W + b`` and activations. For one pose this runs several times faster than torch eager
(whose per-op dispatch dominates at batch 1); the tests check it equals the torch model within 1e-5
rad. Plans: 'chain' (a sequence of layers), 'residual' (stem, blocks h <- act(h + body(h)), head)
and 'branches' (sub-chains on slices of the pose, concatenated, then a chain); any network
``train`` accepts compiles.
"""

from __future__ import annotations

import warnings

from ik_net_ros.engines.folding import fold_plan, Step
import numpy as np

__all__ = ['compile_numpy', 'NumpyForward']

# exp overflows to inf for large arguments and h / inf = 0 is then the exact limit of SiLU; an
# np.errstate context per call would cost about 1 us, so the warning is filtered here instead
warnings.filterwarnings('ignore', 'overflow encountered in exp', RuntimeWarning, __name__)


# OpenBLAS's single-vector product (sgemv, every layer at batch 1) runs about 28 % faster when a
# weight matrix starts on a cache line and its rows are a multiple of 8 floats long (193 -> 200
# columns: 2.27 -> 1.62 us on a 193 x 193 layer here): every layer is padded so
PAD_COLUMNS = 8
_ALIGN_FLOATS = 16  # 64 bytes

# 0-d float32 constants: adding one costs half of adding the Python float 1.0 (no scalar
# conversion); np.maximum(x, 0.0) 0.57 us against 0.37 with _ZERO at 300 units
_ONE = np.ones((), np.float32)
_ZERO = np.zeros((), np.float32)


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
    return np.maximum(x, _ZERO, out=x)


def _gelu(x: np.ndarray) -> np.ndarray:
    from math import erf, sqrt
    return (0.5 * x * (1.0 + np.vectorize(erf, otypes=[np.float32])(x / sqrt(2.0)))
            ).astype(np.float32)


_ACT = {'relu': _relu, 'silu': _silu, 'tanh': np.tanh, 'gelu': _gelu}


def _fns(steps: list[Step]) -> list[tuple]:
    """Folded steps as (W, b, activation function or None), float64."""
    return [(step.w, step.b, _ACT[step.act] if step.act else None) for step in steps]


def _negate_silu_chain(steps) -> list:
    """
    Rewrite a plain chain so SiLU layers compute on negated values (see _neg_silu).

    A SiLU layer stores -W, -b and hands the next layer -a, whose weights absorb the sign. Exact up
    to float rounding; saves one numpy call per SiLU at batch 1.
    """
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
    """
    Moves every bias into its matmul.

    Each activation vector carries one extra unit holding a constant c (1 at the input); a layer's
    bias becomes the row b / c of its weights, and a column of its weights makes the next constant:
    a pre-activation of +-40, which SiLU, ReLU and GELU pass unchanged (tanh: 1). One numpy call
    less per layer at batch 1.
    """

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
    """
    ``(N, 7) or (7,) float32 poses -> (N, dof) or (dof,) float32 joints`` without torch.

    Parameters
    ----------
    plan
        A network's ``inference_plan()``.
    arrays
        Its state dict as numpy arrays (with ``pose_mean, pose_std, joint_mean,
        joint_std``).

    Raises
    ------
    TypeError, KeyError, ValueError
        A plan or arrays this path cannot run.

    """

    def __init__(self, plan: dict, arrays: dict[str, np.ndarray]):
        folded = fold_plan(plan, arrays)
        self.folded = folded
        self.branches = None
        augment = _Augmenter()
        if folded.kind == 'residual':
            self.kind = 'improved'
            blocks = [(_fns(body), _ACT[act]) for body, act in folded.blocks]
            self._compile_improved(_fns(folded.layers), blocks, _fns(folded.head), augment)
            return
        self.kind = 'chain'
        steps = _fns(folded.layers)
        if folded.kind == 'branches':
            (first_idx, first), (second_idx, second) = (folded.branches + [([], [])] * 2)[:2]
            if (len(folded.branches) == 2 and first_idx + second_idx == list(range(7))
                    and _same_layout(first, second)):
                # the branches side by side as block-diagonal layers: one matmul per depth
                # instead of two plus a concat; the zero blocks add exact zeros
                steps = self._block_diagonal(_fns(first), _fns(second)) + steps
            else:  # branches of different layouts: each runs on its own, then the merge
                self.kind = 'branches'
                self.branches = [(np.array(idx), [(w.astype(np.float32), b.astype(np.float32),
                                                   act) for w, b, act in _fns(branch)])
                                 for idx, branch in folded.branches]
                self.steps = [(w.astype(np.float32), b.astype(np.float32), act)
                              for w, b, act in steps]
                return
        self.steps = self._pad_chain(augment.chain(_negate_silu_chain(steps), carry_last=False))

    @staticmethod
    def _pad_chain(steps: list, rows: int | None = None, last: bool = True) -> list:
        """
        (W, act) layers padded by _padded, each to the previous one's width.

        The last one keeps its columns where ``last`` (the network's dof outputs).
        """
        out = []
        for i, (w, act) in enumerate(steps):
            w = _padded(w, rows or w.shape[0], pad_columns=not (last and i == len(steps) - 1))
            out.append((w, act))
            rows = w.shape[1]
        return out

    def _compile_improved(self, stem, blocks, head, augment: _Augmenter) -> None:
        """
        Stem, residual blocks h <- act(h + body(h)), head.

        With SiLU throughout, h is held negated (g = -h) so every SiLU is the cheaper _neg_silu:
        the block body computes -z1 = g W1 - b1, then -(h + y) = g + (-a1) W2 - b2.
        """
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
        self.steps = self._pad_chain(augment.chain(stem, carry_last=True), last=False)
        width = self.steps[-1][0].shape[1]  # h's padded width: every block keeps it
        block_const = augment.const
        self.blocks = []
        for body, act in blocks:
            (w1, b1, act1), (w2, b2, _) = body
            first = augment.layer(w1, b1, act1, carry=True)
            second = augment.layer(w2, b2, None, carry=False)
            second = np.hstack([second, np.zeros((second.shape[0], 1), np.float32)])
            # the extra unit of h + body(h) is h's constant (+ 0), then the block activation
            augment.const = float(act(np.full((1, 1), block_const, np.float32))[0, 0])
            first = _padded(first, width)
            self.blocks.append((first, act1, _padded(second, first.shape[1]), act))
            block_const = augment.const
        (wh, bh, _), = head
        self.head = _padded(augment.layer(wh, bh, None, carry=False), width, pad_columns=False)

    @staticmethod
    def _block_diagonal(first, second) -> list:
        """Two parallel branches (same depth, same activations) as one."""
        steps = []
        for (w1, b1, act), (w2, b2, _) in zip(first, second):
            w = np.zeros((w1.shape[0] + w2.shape[0], w1.shape[1] + w2.shape[1]))
            w[:w1.shape[0], :w1.shape[1]] = w1
            w[w1.shape[0]:, w1.shape[1]:] = w2
            steps.append((w, np.concatenate([b1, b2]), act))
        return steps

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
        """x: (..., 8) poses with a trailing 1 -> (..., dof) joints."""
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
        """(dof,) float32 joints of one pose given as 7 Python floats: the fewest conversions."""
        return self._run(np.array([*target, 1.0], dtype=np.float32))


def _aligned(w: np.ndarray) -> np.ndarray:
    """``w`` as float32 in a buffer starting on a 64-byte (cache line) boundary."""
    buf = np.empty(w.size + _ALIGN_FLOATS, np.float32)
    start = (-buf.ctypes.data // 4) % _ALIGN_FLOATS
    out = buf[start:start + w.size].reshape(w.shape)
    out[...] = w
    return out


def _padded(w: np.ndarray, rows: int, pad_columns: bool = True) -> np.ndarray:
    """
    Grow weights (in, out) with zeros to ``rows`` rows (the previous layer's padded width).

    And, where ``pad_columns``, to a multiple of PAD_COLUMNS
    columns; cache-line aligned. The added units get a pre-activation of exactly 0, which every
    activation maps to 0, and meet zero rows in the next layer: the answer is unchanged (tests).
    """
    columns = -(-w.shape[1] // PAD_COLUMNS) * PAD_COLUMNS if pad_columns else w.shape[1]
    out = np.zeros((rows, columns), np.float32)
    out[:w.shape[0], :w.shape[1]] = w
    return _aligned(out)


def _same_layout(first: list[Step], second: list[Step]) -> bool:
    return len(first) == len(second) and all(a.act == b.act for a, b in zip(first, second))


def compile_numpy(model) -> NumpyForward:
    """
    Return the numpy twin of an eval-mode IKModel, through its network's inference form.

    Raises
    ------
    TypeError
        The network has no inference form this path can run.

    """
    plan = getattr(model.network, 'inference_plan', None)
    if plan is None:
        raise TypeError(f'{type(model.network).__name__} supplies no inference_plan()')
    arrays = {k: v.detach().cpu().double().numpy() for k, v in model.state_dict().items()
              if v.is_floating_point()}
    return NumpyForward(plan(), arrays)
