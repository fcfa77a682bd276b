"""The `reference` target: a numpy executor of the training program (the in-project
oracle). It interprets the same steps the C emitter lowers, frees every storage at its
death step (so a liveness error shows up as a missing buffer), and computes the sparse
weight gradient from the saved planes of the scheduled channels alone.

Arithmetic is float64 so that it can serve as the oracle for the float32 targets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .compression import ActivationCompressor, CompressionConfig, Tucker
from .errors import DataError
from .ir import Graph
from .ops.conv import conv_slices_to_dense, conv_weight_grad_slices
from .ops.gemm import gemm_slices_to_dense, gemm_weight_grad_slices
from .ops.registry import IR_OPS
from .plan import Schedule, TrainLayer
from .training import Step, TrainingProgram, build_program


def softmax_xent(logits: np.ndarray, label: int) -> tuple[float, np.ndarray]:
    z = logits - logits.max()
    p = np.exp(z)
    p /= p.sum()
    loss = float(-np.log(max(p[label], 1e-300)))
    d = p.copy()
    d[label] -= 1.0
    return loss, d


@dataclass
class LayerState:
    channels: np.ndarray
    slices: np.ndarray                  # accumulated dW slices, (n_sel, slice...)
    bias_grad: np.ndarray | None
    saved: np.ndarray | Tucker | None = None     # this sample's planes (or their factors)
    norm_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: output-channel neurons (NEq-style `output_channels`): their whole weight rows train,
    #: which needs the layer's whole input activation saved
    out_channels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rows_grad: np.ndarray | None = None  # accumulated dense dW of those rows
    saved_full: np.ndarray | None = None


StepHandler = Callable[["ReferenceExecutor", Step, dict[str, np.ndarray]], None]
STEP_HANDLERS: dict[str, StepHandler] = {}


def _handles(kind: str) -> Callable[[StepHandler], StepHandler]:
    def register(fn: StepHandler) -> StepHandler:
        STEP_HANDLERS[kind] = fn
        return fn
    return register


class ReferenceExecutor:
    """Runs forward, sparse backward and SGD of one model on numpy."""

    def __init__(self, graph: Graph, layers: list[TrainLayer], *,
                 compress: CompressionConfig | None = None) -> None:
        self.graph = graph
        self.layers = layers
        # None: the saved planes are kept raw; otherwise compressed per sample and layer
        self.compressor = ActivationCompressor(compress) if compress else None
        self.program = build_program(graph, layers)
        self.inference = build_program(graph, layers, forward_only=True)
        self.params = {name: t.data.astype(np.float64) for name, t in graph.tensors.items()
                       if t.is_const}
        self.state: list[LayerState] = []
        self.set_schedule(Schedule.full(layers))
        self._label = 0
        self._scale = 1.0
        self._loss = 0.0
        self._logits = np.zeros(0)

    # ---------------------------------------------------------------- schedule
    def set_schedule(self, schedule: Schedule) -> None:
        chans = schedule.for_layers(self.layers)
        self.state = []
        if self.compressor is not None:      # a new schedule restarts asi from its fixed
            self.compressor.warm.clear()     # start, as the generated C does
        for layer, ch in zip(self.layers, chans):
            w_shape = self.graph.tensors[layer.weight].shape
            slice_shape = w_shape[:1] if layer.kind == "gemm" else (
                w_shape[0] // layer.node.attrs["group"],) + w_shape[2:]
            outs = np.asarray(schedule.output_channels.get(layer.onnx_weight, []), np.int64)
            self.state.append(LayerState(
                ch, np.zeros((len(ch),) + slice_shape),
                np.zeros(layer.out_channels) if layer.train_bias else None,
                norm_sum=np.zeros(len(ch)), out_channels=outs,
                rows_grad=np.zeros(w_shape) if len(outs) else None))

    def zero_grad(self) -> None:
        for st in self.state:
            st.slices[:] = 0.0
            if st.rows_grad is not None:
                st.rows_grad[:] = 0.0
            if st.bias_grad is not None:
                st.bias_grad[:] = 0.0

    # ---------------------------------------------------------------- running
    def _check_input(self, x: np.ndarray) -> np.ndarray:
        shape = self.graph.tensors[self.graph.input].shape
        if tuple(x.shape) != tuple(shape):
            raise DataError(f"input sample has shape {tuple(x.shape)}, the model expects {shape}")
        return x.astype(np.float64)

    def _run(self, program: TrainingProgram, x: np.ndarray) -> dict[str, np.ndarray]:
        env: dict[str, np.ndarray] = {program.act_storage[self.graph.input]: self._check_input(x)}
        logits_storage = program.act_storage[self.graph.output]
        for i, step in enumerate(program.steps):
            STEP_HANDLERS[step.kind](self, step, env)
            for name in program.deaths.get(i, ()):
                if name != logits_storage:
                    env.pop(name, None)
        return env

    def tensor(self, env: dict[str, np.ndarray], program: TrainingProgram, name: str) -> np.ndarray:
        return env[program.act_storage[name]].reshape(self.graph.tensors[name].shape)

    def forward(self, x: np.ndarray, *, apply_tail: bool = False) -> np.ndarray:
        env = self._run(self.inference, x)
        y = self.tensor(env, self.inference, self.graph.output)
        for tail in self.graph.tail if apply_tail else []:
            z = y - y.max()
            y = z - np.log(np.exp(z).sum()) if tail["op"] == "logsoftmax" else np.exp(z) / np.exp(z).sum()
        return y

    def train_sample(self, x: np.ndarray, label: int, scale: float = 1.0) -> tuple[float, np.ndarray]:
        """Forward + loss + sparse backward; accumulates scale * gradients."""
        n_classes = self.graph.tensors[self.graph.output].size
        if not 0 <= int(label) < n_classes:
            raise DataError(f"label {label} is out of range (the model has {n_classes} classes)")
        self._label, self._scale = int(label), scale
        self._run(self.program, x)
        return self._loss, self._logits

    def apply_update(self, lr: float, batch: int) -> None:
        """SGD with the mean accumulated gradient, on exactly the scheduled slices."""
        for layer, st in zip(self.layers, self.state):
            mean_slices = st.slices / batch
            st.norm_sum += np.sqrt((mean_slices ** 2).reshape(len(st.channels), -1).sum(axis=1)) if len(st.channels) else 0.0
            w = self.params[layer.weight]
            binding = self.graph.tensors[layer.weight].binding
            gain = binding.sgd_gain(w.shape) if binding else None
            dense = self.dense_weight_grad(layer.index) / batch
            if gain is not None:
                dense = dense * gain.reshape((-1,) + (1,) * (w.ndim - 1))
            w -= lr * dense
            if st.bias_grad is not None and layer.bias is not None:
                bb = self.graph.tensors[layer.bias].binding
                bgain = bb.sgd_gain((layer.out_channels,)) if bb else None
                step = st.bias_grad / batch
                self.params[layer.bias] -= lr * (step if bgain is None else step * bgain)
        self.zero_grad()

    # ---------------------------------------------------------------- read back
    def compression_stats(self) -> dict[str, dict[str, object]]:
        """Per compressed layer: raw bytes replaced, peak/mean compressed bytes over the
        samples run, peak work bytes and ranks ({} when nothing is compressed)."""
        return self.compressor.stats() if self.compressor is not None else {}

    def dense_weight_grad(self, index: int) -> np.ndarray:
        layer, st = self.layers[index], self.state[index]
        w_shape = self.graph.tensors[layer.weight].shape
        if layer.kind == "conv":
            dense = conv_slices_to_dense(layer.node, st.slices, st.channels, w_shape)
        else:
            dense = gemm_slices_to_dense(st.slices, st.channels, w_shape)
        if st.rows_grad is not None:     # scheduled output channels: their whole rows
            dense[st.out_channels] = st.rows_grad[st.out_channels]
        return dense

    def onnx_grads(self) -> dict[str, np.ndarray]:
        """Accumulated gradients keyed by ONNX initializer, in the initializer's shape."""
        grads: dict[str, np.ndarray] = {}
        for layer, st in zip(self.layers, self.state):
            binding = self.graph.tensors[layer.weight].binding
            grads[layer.onnx_weight] = binding.grad_to_onnx(self.dense_weight_grad(layer.index))  # type: ignore[union-attr]
            if st.bias_grad is not None and layer.bias is not None:
                bb = self.graph.tensors[layer.bias].binding
                grads[layer.onnx_bias] = bb.grad_to_onnx(st.bias_grad)  # type: ignore[union-attr,index]
        return grads


# -------------------------------------------------------------------- step handlers
@_handles("forward")
def _forward(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    node = step.node
    g = ex.graph
    xs = [env[s].reshape(g.tensors[i].shape) for s, i in
          zip(step.reads, [i for i in node.inputs if not g.tensors[i].is_const])]
    params = [ex.params[i] for i in node.inputs if g.tensors[i].is_const]
    y, aux = IR_OPS[node.op].forward(node, xs, params)
    env[step.writes[0]] = y
    if len(step.writes) > 1:
        env[step.writes[1]] = aux


@_handles("save")
def _save(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    layer = step.layer
    st = ex.state[layer.index]
    x = env[step.reads[0]].reshape(ex.graph.tensors[layer.input].shape)
    st.saved = x[st.channels].copy()       # only the scheduled channels' planes
    if len(st.out_channels):
        st.saved_full = x.copy()           # output-channel neurons need the whole input
    # a layer with no scheduled channel stores nothing (the C's ranks are 0 there too)
    if ex.compressor is not None and ex.compressor.applies_to(layer) and len(st.channels):
        st.saved = ex.compressor.compress(layer, st.saved)


@_handles("loss")
def _loss(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    logits = env[step.reads[0]].reshape(-1)
    ex._loss, d = softmax_xent(logits, ex._label)
    ex._logits = logits.copy()
    env[step.writes[0]] = (d * ex._scale).reshape(ex.graph.tensors[ex.graph.output].shape)


@_handles("mask")
def _mask(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    aux, dy = step.reads
    env[dy] = env[dy] * env[aux].reshape(env[dy].shape)


@_handles("weight_grad")
def _weight_grad(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    layer = step.layer
    st = ex.state[layer.index]
    dy = env[step.reads[0]].reshape(ex.graph.tensors[layer.node.outputs[0]].shape)
    w_shape = ex.graph.tensors[layer.weight].shape
    if isinstance(st.saved, Tucker):
        st.slices += ex.compressor.weight_grad(layer, st.saved, st.channels, dy, w_shape)  # type: ignore[union-attr]
    elif layer.kind == "conv":
        st.slices += conv_weight_grad_slices(layer.node, st.saved, st.channels, dy, w_shape)
    else:
        st.slices += gemm_weight_grad_slices(st.saved, dy)
    if st.saved_full is not None:       # output-channel rows: dense dW from the whole input
        everything = np.arange(layer.in_channels)
        if layer.kind == "conv":
            full = conv_weight_grad_slices(layer.node, st.saved_full, everything, dy, w_shape)
            st.rows_grad += conv_slices_to_dense(layer.node, full, everything, w_shape)
        else:
            st.rows_grad += np.outer(dy, st.saved_full.reshape(-1))
        st.saved_full = None
    st.saved = None                     # the planes die with the backward of their layer


@_handles("bias_grad")
def _bias_grad(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    st = ex.state[step.layer.index]
    dy = env[step.reads[0]]
    st.bias_grad += dy.reshape(st.bias_grad.shape[0], -1).sum(axis=1)


@_handles("input_grad")
def _input_grad(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    node = step.node
    g = ex.graph
    act_inputs = [i for i in node.inputs if not g.tensors[i].is_const]
    shapes = [g.tensors[i].shape for i in act_inputs]
    params = [ex.params[i] for i in node.inputs if g.tensors[i].is_const]
    dy = env[step.reads[0]].reshape(g.tensors[node.outputs[0]].shape)
    saved = step.attrs.get("grad_tensors", [])
    if saved:       # the forward tensors the op's backward reads (OpDef.grad_reads)
        aux = [env[s].reshape(g.tensors[t].shape) for s, t in zip(step.reads[-len(saved):], saved)]
    else:
        aux = env[step.reads[1]] if len(step.reads) > 1 else None
    grads = IR_OPS[node.op].backward(node, dy, aux, shapes, params)
    env[step.writes[0]] = grads[step.attrs["input"]]


@_handles("copy")
def _copy(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    env[step.writes[0]] = env[step.reads[0]].copy()


@_handles("accumulate")
def _accumulate(ex: ReferenceExecutor, step: Step, env: dict[str, np.ndarray]) -> None:
    src, dst = step.reads
    env[dst] = env[dst] + env[src].reshape(env[dst].shape)
