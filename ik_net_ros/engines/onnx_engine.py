"""
ONNX Runtime as the engine for large batches on the CPU.

The graph is built in memory from a network's folded form (:mod:`ik_net_ros.engines.folding`),
which comes from the torch-free weights file after its digest and content checks: no second
artefact to keep in step, nothing torch. ONNX Runtime's GEMMs (MLAS) run this network at
60-70 % of the machine's fp32 FMA peak, about twice the numpy twin's rate at large batches;
at small batches its per-call cost (about 15 us) loses to the numpy twin, so the solver picks
by batch size (:data:`ik_net_ros.solver.base.SMALL_BATCH`). ``onnx`` and
``onnxruntime`` are optional: without them large batches run on the numpy twin.
"""

from __future__ import annotations

import math

from ik_net_ros.engines.folding import FoldedNetwork, Step
from ik_net_ros.errors import IkNetError
import numpy as np

__all__ = ['EngineUnavailable', 'OnnxForward', 'onnx_model', 'OPSET']

OPSET = 13  # Gemm, Gather, Erf, Sigmoid: every ONNX Runtime since 1.6 runs it
# poses per run: the layers' activations (256 x 256 floats) then stay in the core's L2 cache;
# one thread, shipped networks: 1.95 (focused), 2.59 (improved), 2.47 (original) us per pose in
# runs of 256 against 2.49, 3.19, 2.89 in runs of 4096 (about 10 us per run included)
BLOCK = 256


class EngineUnavailable(IkNetError):
    """ONNX Runtime (or onnx) is not installed, or refuses the graph."""


class _Graph:
    """Accumulates nodes and initializers of one ONNX graph."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.inits = [], []

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(self.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], out: str, **attrs) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [out], **attrs))
        return out

    def act(self, x: str, act: str | None, out: str) -> str:
        if act is None:
            return x
        if act == 'relu':
            return self.node('Relu', [x], out)
        if act == 'tanh':
            return self.node('Tanh', [x], out)
        if act == 'silu':  # x * sigmoid(x)
            return self.node('Mul', [x, self.node('Sigmoid', [x], f'{out}_sigmoid')], out)
        if act == 'gelu':  # the exact (erf) GELU, as torch.nn.GELU()
            scaled = self.node('Mul', [x, self.const(f'{out}_c', np.float32(1 / math.sqrt(2)))],
                               f'{out}_scaled')
            erf1 = self.node('Add', [self.node('Erf', [scaled], f'{out}_erf'),
                                     self.const(f'{out}_one', np.float32(1.0))], f'{out}_erf1')
            half = self.node('Mul', [x, self.const(f'{out}_half', np.float32(0.5))],
                             f'{out}_half_x')
            return self.node('Mul', [half, erf1], out)
        raise EngineUnavailable(f'no ONNX form for activation {act!r}')

    def layers(self, x: str, steps: list[Step], prefix: str) -> str:
        for i, step in enumerate(steps):
            name = f'{prefix}{i}'
            x = self.node('Gemm', [x, self.const(f'{name}_w', step.w.astype(np.float32)),
                                   self.const(f'{name}_b', step.b.astype(np.float32))], name)
            x = self.act(x, step.act, f'{name}_act')
        return x


def onnx_model(folded: FoldedNetwork) -> bytes:
    """
    Return the serialized ONNX model of a folded network.

    Input 'pose' (N, 7) float32, output 'joints' (N, dof) float32.

    Raises
    ------
    EngineUnavailable
        Onnx is not installed, or the network has an op with no ONNX form.

    """
    try:
        from onnx import helper, numpy_helper, TensorProto
    except ImportError as e:
        raise EngineUnavailable('onnx is not installed (pip install onnx onnxruntime)') from e
    g = _Graph(helper, numpy_helper)
    if folded.kind == 'branches':
        outs = [g.layers(g.node('Gather', ['pose', g.const(f'idx{k}', np.array(idx, np.int64))],
                                f'slice{k}', axis=1), steps, f'branch{k}_')
                for k, (idx, steps) in enumerate(folded.branches)]
        h = g.layers(g.node('Concat', outs, 'merged', axis=1), folded.layers, 'merge')
    else:
        h = g.layers('pose', folded.layers, 'stem' if folded.kind == 'residual' else 'layer')
        for k, (body, act) in enumerate(folded.blocks):  # residual: h <- act(h + body(h))
            h = g.act(g.node('Add', [h, g.layers(h, body, f'block{k}_')], f'block{k}_sum'),
                      act, f'block{k}_out')
        if folded.kind == 'residual':
            h = g.layers(h, folded.head, 'head')
    g.node('Identity', [h], 'joints')
    graph = helper.make_graph(
        g.nodes, f'ik_net_ros_{folded.kind}',
        [helper.make_tensor_value_info('pose', TensorProto.FLOAT, ['N', 7])],
        [helper.make_tensor_value_info('joints', TensorProto.FLOAT, ['N', folded.outputs])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)],
                              producer_name='ik_net_ros')
    model.ir_version = 7  # what ONNX Runtime 1.6+ reads
    return model.SerializeToString()


class OnnxForward:
    """
    ``(N, 7) float32 poses -> (N, dof) float32 joints`` through ONNX Runtime on the CPU.

    One session, run on the calling thread (``intra_op_num_threads=1``): the solver spreads
    chunks of a batch over its own threads, each with the work around the network, which
    measured faster than one call spread by ONNX Runtime's pool (0.94 against 0.77 M poses/s
    for focused on 2 cores). Calls from several threads run concurrently.

    Parameters
    ----------
    folded
        The network.
    profile_prefix
        Where given, ONNX Runtime's own profiler records every op's time
        (``make bench``'s breakdown of the network); ``session.end_profiling()`` writes the
        JSON file (path prefix ``profile_prefix``) and returns its path.

    Raises
    ------
    EngineUnavailable
        On construction: onnx or onnxruntime is not installed, or rejects the graph.

    """

    def __init__(self, folded: FoldedNetwork, profile_prefix: str | None = None):
        model = onnx_model(folded)
        self.outputs = folded.outputs
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise EngineUnavailable('onnxruntime is not installed') from e
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: the CPU provider's notes are not news
        if profile_prefix is not None:
            options.enable_profiling = True
            options.profile_file_prefix = str(profile_prefix)
        try:
            self.session = ort.InferenceSession(model, options,
                                                providers=['CPUExecutionProvider'])
        except Exception as e:  # ORT raises its own exception types, not importable stably
            raise EngineUnavailable(f'onnxruntime refused the graph: {e}') from e

    def __call__(self, poses: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(poses, dtype=np.float32)  # (N, 7)
        if len(x) <= BLOCK:
            return self.session.run(None, {'pose': x})[0]  # (N, dof)
        out = np.empty((len(x), self.outputs), np.float32)
        for i in range(0, len(x), BLOCK):
            out[i:i + BLOCK] = self.session.run(None, {'pose': x[i:i + BLOCK]})[0]
        return out
