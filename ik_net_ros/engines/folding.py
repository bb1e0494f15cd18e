"""
A network's inference form with everything that is constant at inference folded away.

The shared starting point of the torch-free engines (the numpy twin, :mod:`.fast`, and ONNX
Runtime, :mod:`.onnx_engine`).

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

__all__ = ['ACTIVATIONS', 'Step', 'FoldedNetwork', 'fold_plan', 'MAX_OPS', 'MAX_WIDTH',
           'NORMALISATION_BOUND', 'MAX_DOF']

ACTIVATIONS = ('relu', 'silu', 'tanh', 'gelu')
# what a weights file may ask of an engine: the shipped IKNets have 9-25 ops of at most 400
# units; a plan far beyond is a hostile file (20,000 copies of one layer exhaust the memory)
MAX_OPS = 256
MAX_WIDTH = 4096
# joints an arm may have: the shipped arms have 4 to 6; a weights file asking for more is no arm
MAX_DOF = 32
# normalisation statistics of poses (m, quaternion) and joints (rad): a std of 1e30 would pin
# every answer to a joint limit, a std of 1e-30 turn every input into inf
NORMALISATION_BOUND = (1e-6, 10.0)


@dataclass(frozen=True)
class Step:
    """
    One layer: ``act(x @ w + b)``; w (in, out), b (out,) float64.

    Act one of ACTIVATIONS or None (linear).
    """

    w: np.ndarray
    b: np.ndarray
    act: str | None


@dataclass
class FoldedNetwork:
    """A network as folded layers (see the module docstring); input (N, 7), output (N, dof)."""

    kind: str  # 'chain' | 'residual' | 'branches'
    layers: list[Step]
    blocks: list[tuple[list[Step], str]] = field(default_factory=list)  # residual
    head: list[Step] = field(default_factory=list)  # residual
    branches: list[tuple[list[int], list[Step]]] = field(default_factory=list)  # branches

    def flops(self) -> int:
        """
        Floating-point operations of one pose's forward pass in its matmuls.

        2 per multiply-add; biases and activations, a few percent, not counted.
        """
        steps = self.layers + self.head + [s for body, _ in self.blocks for s in body] + [
            s for _, branch in self.branches for s in branch]
        return sum(2 * step.w.size for step in steps)

    @property
    def outputs(self) -> int:
        """Return the number of joints it answers (the arm's dof)."""
        last = (self.head or self.layers)[-1]
        return int(last.w.shape[1])


def _steps(plan_ops: list[dict], arrays: dict[str, np.ndarray]) -> list[Step]:
    """
    Plan ops as Steps, each BatchNorm folded into the Linear before it.

    Raises
    ------
    TypeError
        An op no engine knows, a BatchNorm not after a Linear, an activation not
        after a Linear.
    KeyError
        A missing array.

    """
    steps: list[Step] = []
    if not isinstance(plan_ops, list):
        raise TypeError('a layer sequence is a list of ops')
    for op in plan_ops:
        if not isinstance(op, dict):
            raise TypeError(f'an op is a mapping, got {str(op)[:40]}')
        if 'linear' in op:
            name = op['linear']
            w = np.asarray(arrays[f'{name}.weight'], np.float64)
            b = np.asarray(arrays[f'{name}.bias'], np.float64)
            if w.ndim != 2 or b.shape != w.shape[:1] or \
                    (steps and steps[-1].w.shape[1] != w.shape[1]):
                raise ValueError(f'linear {str(name)[:40]}: weight {w.shape}, bias {b.shape} '
                                 'do not chain with the layer before')
            steps.append(Step(w.T.copy(), b.copy(), None))
        elif 'batchnorm' in op:
            if not steps or steps[-1].act is not None:
                raise TypeError('a BatchNorm that does not follow a Linear layer')
            name, last = op['batchnorm'], steps[-1]
            stats = [np.asarray(arrays[f'{name}.{k}'], np.float64)
                     for k in ('weight', 'bias', 'running_mean', 'running_var')]
            eps = op.get('eps', 1e-5)
            if any(a.shape != last.b.shape for a in stats) or np.any(stats[3] < 0) or \
                    isinstance(eps, bool) or not isinstance(eps, (int, float)) or \
                    not 0 < eps <= 1:
                raise ValueError(f'batchnorm {str(name)[:40]}: statistics or eps that do not '
                                 f'fit the {last.b.shape[0]} units before it')
            weight, bias, mean, var = stats
            scale = weight / np.sqrt(var + eps)
            steps[-1] = Step(last.w * scale, (last.b - mean) * scale + bias, None)
        elif op.get('act') in ACTIVATIONS:
            if not steps or steps[-1].act is not None:
                raise TypeError(f'an activation that does not follow a Linear layer: {op}')
            steps[-1] = Step(steps[-1].w, steps[-1].b, op['act'])
        else:
            raise TypeError(f'no torch-free engine runs op {str(op)[:80]}')
    if not steps:
        raise TypeError('an empty layer sequence')
    return steps


def _fold_input(steps: list[Step], mean: np.ndarray, std: np.ndarray) -> list[Step]:
    """(x - mean) / std folded into the first layer."""
    first = steps[0]
    if first.w.shape[0] != len(std):
        raise ValueError(f'the first layer takes {first.w.shape[0]} inputs, not {len(std)}')
    w = first.w / std[:, None]
    return [Step(w, first.b - mean @ w, first.act), *steps[1:]]


def _fold_output(steps: list[Step], mean: np.ndarray, std: np.ndarray) -> list[Step]:
    """Y * std + mean folded into the last layer (which must be linear)."""
    last = steps[-1]
    if last.w.shape[1] != len(std):
        raise ValueError(f'the last layer gives {last.w.shape[1]} outputs, not {len(std)}')
    if last.act is not None:
        raise TypeError('a network whose output layer has an activation')
    return [*steps[:-1], Step(last.w * std, last.b * std + mean, None)]


def fold_plan(plan: dict, arrays: dict[str, np.ndarray]) -> FoldedNetwork:
    """
    Return the folded form of a network's inference plan and its arrays, checked.

    The arrays include ``pose_mean, pose_std, joint_mean, joint_std``. The plan must be a network
    of poses (7) to joints (dof, the length of ``joint_mean``, at most :data:`MAX_DOF`): at most
    :data:`MAX_OPS` ops, layers of at most :data:`MAX_WIDTH`
    units whose shapes chain, branch inputs that are distinct pose columns, normalisation within
    :data:`NORMALISATION_BOUND`.

    Raises
    ------
    TypeError
        A plan of unknown kind or with ops no engine runs.
    ValueError
        A plan or arrays that break the checks above.
    KeyError
        A missing array.

    """
    _check_plan_size(plan)
    dof = np.asarray(arrays['joint_mean']).size
    if not 1 <= dof <= MAX_DOF:
        raise ValueError(f'a network of {dof} joints (1 to {MAX_DOF})')
    pose_mean, pose_std, joint_mean, joint_std = (
        _statistic(arrays, k, n) for k, n in (('pose_mean', 7), ('pose_std', 7),
                                              ('joint_mean', dof), ('joint_std', dof)))
    kind = plan.get('kind') if isinstance(plan, dict) else None
    if kind == 'chain':
        layers = _fold_input(_steps(plan['ops'], arrays), pose_mean, pose_std)
        net = FoldedNetwork('chain', _fold_output(layers, joint_mean, joint_std))
        _check_chain(net.layers, 7, dof)
        return net
    if kind == 'residual':
        blocks = []
        for block in plan['blocks']:
            body = _steps(block['body'], arrays)
            if block['act'] not in ACTIVATIONS:
                raise TypeError(f'no torch-free engine runs activation {block["act"]!r}')
            blocks.append((body, block['act']))
        net = FoldedNetwork(
            'residual', _fold_input(_steps(plan['stem'], arrays), pose_mean, pose_std),
            blocks=blocks, head=_fold_output(_steps(plan['head'], arrays), joint_mean,
                                             joint_std))
        width = _check_chain(net.layers, 7, None)
        for body, _ in net.blocks:
            _check_chain(body, width, width)
        _check_chain(net.head, width, dof)
        return net
    if kind == 'branches':
        branches, columns = [], []
        if not isinstance(plan['inputs'], list) or len(plan['inputs']) != len(plan['branches']):
            raise ValueError('a branch plan needs one input list per branch')
        for idx, branch in zip(plan['inputs'], plan['branches']):
            idx = _columns(idx)
            columns += idx
            branches.append((idx, _fold_input(_steps(branch, arrays), pose_mean[idx],
                                              pose_std[idx])))
        if len(set(columns)) != len(columns):
            raise ValueError(f'branches share pose columns {columns}')
        merge = _fold_output(_steps(plan['merge'], arrays), joint_mean, joint_std)
        width = sum(_check_chain(steps, len(idx), None) for idx, steps in branches)
        _check_chain(merge, width, dof)
        return FoldedNetwork('branches', merge, branches=branches)
    raise TypeError(f'no torch-free engine runs a network plan of kind {kind!r}')


def _check_plan_size(plan) -> None:
    """At most MAX_OPS ops in all, counted before any array is copied."""
    count, stack = 0, [plan]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += 1
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
        if count > MAX_OPS:
            raise ValueError(f'a plan of more than {MAX_OPS} ops')


def _statistic(arrays: dict, key: str, size: int) -> np.ndarray:
    value = np.asarray(arrays[key], np.float64)
    low, high = NORMALISATION_BOUND
    bad = (value.shape != (size,) or not np.all(np.isfinite(value))
           or (key.endswith('std') and not np.all((value >= low) & (value <= high)))
           or (key.endswith('mean') and not np.all(np.abs(value) <= high)))
    if bad:
        raise ValueError(f'normalisation {key} {np.array2string(value, precision=3)[:120]} '
                         f'is not {size} values within {NORMALISATION_BOUND}')
    return value


def _columns(idx) -> list[int]:
    if not isinstance(idx, list) or not idx or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 7 for i in idx):
        raise ValueError(f'branch inputs {str(idx)[:80]} are not pose columns 0-6')
    return idx


def _check_chain(steps: list[Step], width_in: int, width_out: int | None) -> int:
    """Check that the steps' shapes chain from ``width_in`` (to ``width_out``); return the last."""
    width = width_in
    for step in steps:
        if step.w.ndim != 2 or step.w.shape[0] != width or step.b.shape != (step.w.shape[1],) \
                or not 0 < step.w.shape[1] <= MAX_WIDTH:
            raise ValueError(f'a layer of shape {step.w.shape} (bias {step.b.shape}) after '
                             f'{width} units: the layers do not chain')
        width = step.w.shape[1]
    if width_out is not None and width != width_out:
        raise ValueError(f'the layers end with {width} units, not {width_out}')
    return width
