"""A network's inference form with everything that is constant at inference folded away: the
shared starting point of the torch-free engines (the numpy twin, :mod:`.fast`, and ONNX Runtime,
:mod:`.onnx_engine`).

From a network's ``inference_plan()`` (a JSON-able description naming state-dict arrays) and
its arrays: every BatchNorm is folded into the Linear before it, the input normalisation into
the first layer(s) and the output de-normalisation into the last one (all exact in eval mode,
done in float64), dropout vanishes. What is left is layers ``x @ W + b`` each followed by an
activation or not, in one of three shapes:

- 'chain': ``layers`` in sequence;
- 'residual': ``layers`` (the stem), then ``blocks`` h <- act(h + body(h)), then ``head``;
- 'branches': each of ``branches`` (input columns, layers) on its slice of the pose, the
  outputs concatenated, then ``layers`` (the merge).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ['ACTIVATIONS', 'Step', 'FoldedNetwork', 'fold_plan']

ACTIVATIONS = ('relu', 'silu', 'tanh', 'gelu')


@dataclass(frozen=True)
class Step:
    """One layer: ``act(x @ w + b)``; w (in, out), b (out,) float64; act one of ACTIVATIONS or
    None (linear)."""

    w: np.ndarray
    b: np.ndarray
    act: str | None


@dataclass
class FoldedNetwork:
    """A network as folded layers (see the module docstring); input (N, 7), output (N, 4)."""

    kind: str  # 'chain' | 'residual' | 'branches'
    layers: list[Step]
    blocks: list[tuple[list[Step], str]] = field(default_factory=list)  # residual
    head: list[Step] = field(default_factory=list)  # residual
    branches: list[tuple[list[int], list[Step]]] = field(default_factory=list)  # branches

    def flops(self) -> int:
        """Floating-point operations of one pose's forward pass in its matmuls (2 per
        multiply-add; biases and activations, a few percent, not counted)."""
        steps = self.layers + self.head + [s for body, _ in self.blocks for s in body] + [
            s for _, branch in self.branches for s in branch]
        return sum(2 * step.w.size for step in steps)


def _steps(plan_ops: list[dict], arrays: dict[str, np.ndarray]) -> list[Step]:
    """Plan ops as Steps, each BatchNorm folded into the Linear before it.

    Raises:
        TypeError: an op no engine knows, a BatchNorm not after a Linear, an activation not
            after a Linear.
        KeyError: a missing array.
    """
    steps: list[Step] = []
    for op in plan_ops:
        if 'linear' in op:
            name = op['linear']
            steps.append(Step(np.array(arrays[f'{name}.weight'], np.float64).T.copy(),
                              np.array(arrays[f'{name}.bias'], np.float64).copy(), None))
        elif 'batchnorm' in op:
            if not steps or steps[-1].act is not None:
                raise TypeError('a BatchNorm that does not follow a Linear layer')
            name, last = op['batchnorm'], steps[-1]
            scale = np.asarray(arrays[f'{name}.weight'], np.float64) / np.sqrt(
                np.asarray(arrays[f'{name}.running_var'], np.float64) + op.get('eps', 1e-5))
            steps[-1] = Step(last.w * scale,
                             (last.b - np.asarray(arrays[f'{name}.running_mean'], np.float64))
                             * scale + np.asarray(arrays[f'{name}.bias'], np.float64), None)
        elif op.get('act') in ACTIVATIONS:
            if not steps or steps[-1].act is not None:
                raise TypeError(f'an activation that does not follow a Linear layer: {op}')
            steps[-1] = Step(steps[-1].w, steps[-1].b, op['act'])
        else:
            raise TypeError(f'no torch-free engine runs op {op}')
    if not steps:
        raise TypeError('an empty layer sequence')
    return steps


def _fold_input(steps: list[Step], mean: np.ndarray, std: np.ndarray) -> list[Step]:
    """(x - mean) / std folded into the first layer."""
    first = steps[0]
    w = first.w / std[:, None]
    return [Step(w, first.b - mean @ w, first.act), *steps[1:]]


def _fold_output(steps: list[Step], mean: np.ndarray, std: np.ndarray) -> list[Step]:
    """y * std + mean folded into the last layer (which must be linear)."""
    last = steps[-1]
    if last.act is not None:
        raise TypeError('a network whose output layer has an activation')
    return [*steps[:-1], Step(last.w * std, last.b * std + mean, None)]


def fold_plan(plan: dict, arrays: dict[str, np.ndarray]) -> FoldedNetwork:
    """The folded form of a network's inference plan and its arrays (which include
    ``pose_mean, pose_std, joint_mean, joint_std``).

    Raises:
        TypeError: a plan of unknown kind or with ops no engine runs.
        KeyError: a missing array.
    """
    pose_mean, pose_std, joint_mean, joint_std = (
        np.asarray(arrays[k], np.float64) for k in ('pose_mean', 'pose_std', 'joint_mean',
                                                    'joint_std'))
    kind = plan.get('kind') if isinstance(plan, dict) else None
    if kind == 'chain':
        layers = _fold_input(_steps(plan['ops'], arrays), pose_mean, pose_std)
        return FoldedNetwork('chain', _fold_output(layers, joint_mean, joint_std))
    if kind == 'residual':
        blocks = []
        for block in plan['blocks']:
            body = _steps(block['body'], arrays)
            if block['act'] not in ACTIVATIONS:
                raise TypeError(f'no torch-free engine runs activation {block["act"]!r}')
            blocks.append((body, block['act']))
        return FoldedNetwork(
            'residual', _fold_input(_steps(plan['stem'], arrays), pose_mean, pose_std),
            blocks=blocks, head=_fold_output(_steps(plan['head'], arrays), joint_mean,
                                             joint_std))
    if kind == 'branches':
        branches = []
        for idx, branch in zip(plan['inputs'], plan['branches']):
            idx = [int(i) for i in idx]
            branches.append((idx, _fold_input(_steps(branch, arrays), pose_mean[idx],
                                              pose_std[idx])))
        merge = _fold_output(_steps(plan['merge'], arrays), joint_mean, joint_std)
        return FoldedNetwork('branches', merge, branches=branches)
    raise TypeError(f'no torch-free engine runs a network plan of kind {kind!r}')
