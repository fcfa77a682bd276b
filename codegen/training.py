"""Derive the training step of one sample from the IR and a plan.

The result, a :class:`TrainingProgram`, is a flat list of steps over named storages:
forward, "save" of the scheduled channels' input planes into the channel pool, loss,
and a backward pass that reaches only as deep as the deepest plan layer. Every storage
has a birth and a death step (liveness), so the reference executor can free it there and
the memory planner can place it; `keeps()` says which activations the backward pass
keeps (masks, argmax, the scheduled planes) and why.

Storage kinds: "act" (forward activation), "aux" (mask/argmax kept for backward),
"grad" (activation gradient), "input" (the sample), "work" (kernel scratch alive during
one step only: the compressed layers' save and weight_grad, see `work_bytes`). The channel pool (saved planes +
weight-gradient slices) and the bias-gradient accumulators are not arena storages: the
pool is a reserved region sized by the budget, the accumulators are static.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .errors import UnsupportedModelError
from .ir import Graph, Node
from .ops.registry import IR_OPS
from .plan import TrainLayer
from .quantize import input_quantizer

#: ops whose backward needs the aux the forward pass produced
_AUX_OPS = {"clamp", "maxpool"}
#: ops whose input gradient is their output gradient (possibly masked in place)
_ALIAS_GRAD_OPS = {"reshape", "clamp", "add_const"}


@dataclass
class Storage:
    name: str
    kind: str
    nbytes: int
    born: int = -1
    dies: int = -1
    tensors: list[str] = field(default_factory=list)
    #: a view: this storage lives at byte `offset` inside `parent` (a Concat input
    #: written in place into the concatenated buffer); the planner places only roots
    parent: str | None = None
    offset: int = 0


@dataclass
class Step:
    kind: str                       # forward|save|loss|mask|weight_grad|bias_grad|input_grad|copy|accumulate
    node: Node | None = None
    layer: TrainLayer | None = None
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainingProgram:
    graph: Graph
    layers: list[TrainLayer]
    steps: list[Step]
    storages: dict[str, Storage]
    act_storage: dict[str, str]            # tensor -> storage (forward)
    grad_storage: dict[str, str]           # tensor -> storage (gradient)
    aux_storage: dict[str, str]            # node output -> storage of its mask/argmax
    backward_nodes: list[Node]
    forward_only: bool = False

    @cached_property
    def deaths(self) -> dict[int, list[str]]:
        """Step index -> storages whose last use is that step."""
        by_step: dict[int, list[str]] = {}
        for s in self.storages.values():
            by_step.setdefault(s.dies, []).append(s.name)
        return by_step

    def keeps(self) -> list[str]:
        """Human-readable list of what the backward pass keeps from the forward pass."""
        lines = [f"{l.onnx_weight}: scheduled input-channel planes of '{l.input}' "
                 f"({l.plane_elems} floats each) + dW slices ({l.slice_elems} floats each); "
                 f"with scheduled output channels also the whole input ({l.input_elems} "
                 f"floats) + dW rows ({l.slice_elems * l.in_channels // l.out_channels} "
                 f"floats each)"
                 for l in self.layers]
        for node in self.backward_nodes:
            aux = self.aux_storage.get(node.outputs[0])
            if aux:
                lines.append(f"{node.op} '{node.outputs[0]}': {IR_OPS[node.op].backward_keeps} "
                             f"({self.storages[aux].nbytes} B)")
        return lines

    def liveness_lower_bound(self) -> int:
        """max over steps of the bytes of storages live at that step."""
        live = np.zeros(len(self.steps) + 1, dtype=np.int64)
        for s in self.storages.values():
            if s.parent is None:          # a view's bytes are its parent's
                live[s.born: s.dies + 1] += s.nbytes
        return int(live.max()) if len(live) else 0


class _Builder:
    def __init__(self, graph: Graph, layers: list[TrainLayer], forward_only: bool,
                 work_bytes: dict[int, tuple[int, int]] | None = None) -> None:
        self.graph = graph
        self.work_bytes = work_bytes or {}
        self.layers = layers
        self.forward_only = forward_only
        self.steps: list[Step] = []
        self.storages: dict[str, Storage] = {}
        self.act: dict[str, str] = {}
        self.grad: dict[str, str] = {}
        self.aux: dict[str, str] = {}
        self.layer_of = {l.node.outputs[0]: l for l in layers}
        self.concat_in_place = True

    def new_storage(self, name: str, kind: str, nbytes: int, tensor: str | None = None) -> str:
        while name in self.storages:
            name += "'"
        self.storages[name] = Storage(name, kind, int(nbytes), tensors=[tensor] if tensor else [])
        return name

    def nbytes(self, tensor: str) -> int:
        t = self.graph.tensors[tensor]
        return t.itemsize * t.size        # int8 activations of the frozen backbone: 1 B

    # ------------------------------------------------------------------ forward
    def requires_grad(self) -> set[str]:
        needed: set[str] = set()
        if self.forward_only:
            return needed
        for node in self.graph.nodes:
            if node.outputs[0] in self.layer_of or any(i in needed for i in node.inputs):
                needed.add(node.outputs[0])
        return needed

    def forward(self, needs_grad: set[str]) -> None:
        g = self.graph
        # an int8-input model (quantize.input_quantizer) quantizes the sample straight from
        # the caller's buffer into its int8 storage: no float copy of it in the arena
        external = input_quantizer(g) is not None
        self.act[g.input] = self.new_storage(g.input, "input", 0 if external else self.nbytes(g.input),
                                             g.input)
        self.saves_after(g.input)
        for node in g.nodes:
            out = node.outputs[0]
            reads = [self.act[i] for i in node.inputs if not g.tensors[i].is_const]
            if node.op == "reshape":
                self.act[out] = self.act[node.inputs[0]]
                self.storages[self.act[out]].tensors.append(out)
            elif node.op == "concat":
                self.act[out] = self.new_storage(out, "act", self.nbytes(out), out)
                in_place = [self.into_concat(i, out, 4 * off)
                            for i, off in zip(node.inputs, node.attrs["offsets"])]
                self.steps.append(Step("forward", node, reads=reads, writes=[self.act[out]],
                                       attrs={"in_place": in_place}))
            else:
                self.act[out] = self.new_storage(out, "act", self.nbytes(out), out)
                writes = [self.act[out]]
                opdef = IR_OPS[node.op]
                if out in needs_grad and (node.op in _AUX_OPS or node.attrs.get("act")):
                    nbytes = opdef.aux_bytes(node, g.tensors[out].shape)
                    self.aux[out] = self.new_storage(f"aux:{out}", "aux", nbytes)
                    writes.append(self.aux[out])
                self.steps.append(Step("forward", node, reads=reads, writes=writes))
            self.saves_after(out)

    def into_concat(self, tensor: str, out: str, offset: int) -> bool:
        """Make `tensor`'s storage a view of the Concat output `out` at byte `offset` when
        it holds that tensor alone (not the sample, not an alias, not already a view)."""
        s = self.storages[self.act[tensor]]
        if not self.concat_in_place or s.kind != "act" or s.parent is not None or s.tensors != [tensor] \
                or tensor == self.graph.output:
            return False
        s.parent, s.offset = self.act[out], offset
        return True

    def saves_after(self, tensor: str) -> None:
        for layer in self.layers:
            if layer.input == tensor:
                self.steps.append(Step("save", layer=layer, reads=[self.act[tensor]],
                                       writes=self.work(layer, 0, "save")))

    def work(self, layer: TrainLayer, which: int, step: str) -> list[str]:
        """A scratch storage for one step of a compressed layer (none if it needs none)."""
        nbytes = self.work_bytes.get(layer.index, (0, 0))[which]
        if not nbytes:
            return []
        return [self.new_storage(f"work:{step}:{layer.onnx_weight}", "work", nbytes)]

    # ------------------------------------------------------------------ backward
    def contribute(self, tensor: str, source: str, mode: str, node: Node, index: int) -> None:
        """Give `tensor` a gradient contribution. mode: alias (source storage holds it),
        copy (duplicate source), compute (input_grad of node writes it)."""
        target = self.grad.get(tensor)
        if target is None:
            if mode == "alias":
                self.grad[tensor] = source
                self.storages[source].tensors.append(f"d:{tensor}")
                return
            target = self.new_storage(f"d:{tensor}", "grad", self.nbytes(tensor), f"d:{tensor}")
            self.grad[tensor] = target
            if mode == "copy":
                self.steps.append(Step("copy", node, reads=[source], writes=[target]))
            else:
                self.steps.append(self._input_grad(node, index, source, target))
            return
        if mode == "compute":
            tmp = self.new_storage(f"tmp:d:{tensor}", "grad", self.nbytes(tensor))
            self.steps.append(self._input_grad(node, index, source, tmp))
            source = tmp
        self.steps.append(Step("accumulate", node, reads=[source, target], writes=[target]))

    def _input_grad(self, node: Node, index: int, dy: str, target: str) -> Step:
        reads = [dy]
        if node.outputs[0] in self.aux and node.op == "maxpool":
            reads.append(self.aux[node.outputs[0]])
        opdef = IR_OPS[node.op]
        if opdef.backward is None:
            raise UnsupportedModelError(node.name, node.op, "no backward pass (it may sit only "
                                        "where no gradient flows)",
                                        "train only layers after this op")
        # forward activations the backward reads stay alive up to this step (liveness)
        acts = [i for i in node.inputs if not self.graph.tensors[i].is_const]
        tensors = [node.outputs[0] if r == "y" else acts[int(r[1:])] for r in opdef.grad_reads]
        reads += [self.act[t] for t in tensors]
        return Step("input_grad", node, reads=reads, writes=[target],
                    attrs={"input": index, "grad_tensors": tensors})

    def backward(self, needs_grad: set[str]) -> list[Node]:
        g = self.graph
        out = g.output
        if self.forward_only:
            return []
        # the loss is computed even when no layer trains (a plan with no layers still
        # reports its loss, and its generated C compiles)
        self.grad[out] = self.new_storage(f"d:{out}", "grad", self.nbytes(out), f"d:{out}")
        self.steps.append(Step("loss", reads=[self.act[out]], writes=[self.grad[out]]))
        if out not in needs_grad:
            return []
        bwd_nodes = [n for n in g.nodes if n.outputs[0] in needs_grad]
        for node in reversed(bwd_nodes):
            y = node.outputs[0]
            dy = self.grad[y]
            if y in self.aux and node.op != "maxpool":
                self.steps.append(Step("mask", node, reads=[self.aux[y], dy], writes=[dy]))
            layer = self.layer_of.get(y)
            if layer is not None:
                self.steps.append(Step("weight_grad", node, layer, reads=[dy],
                                       writes=self.work(layer, 1, "grad")))
                if layer.train_bias:
                    self.steps.append(Step("bias_grad", node, layer, reads=[dy]))
            act_inputs = [i for i in node.inputs if not g.tensors[i].is_const]
            dy_taken = False
            for index, tensor in enumerate(act_inputs):
                if tensor not in needs_grad:
                    continue
                if node.op == "add":
                    # the first branch to need it takes dy itself, later ones a copy (each
                    # branch may later modify its gradient in place); a tensor that already
                    # has a gradient accumulates straight from dy
                    mode = "alias" if not dy_taken or tensor in self.grad else "copy"
                    dy_taken = dy_taken or tensor not in self.grad
                    self.contribute(tensor, dy, mode, node, index)
                elif node.op in _ALIAS_GRAD_OPS:
                    self.contribute(tensor, dy, "alias", node, index)
                else:
                    self.contribute(tensor, dy, "compute", node, index)
        return bwd_nodes

    def liveness(self) -> None:
        for i, step in enumerate(self.steps):
            for name in step.reads + step.writes:
                s = self.storages[name]
                if s.born < 0:
                    s.born = i
                s.dies = max(s.dies, i)
        # the sample input is written by the caller before step 0; the logits are read by
        # the caller after the last step of a forward-only program
        first = self.storages[self.act[self.graph.input]]
        first.born = 0
        last = self.storages[self.act[self.graph.output]]
        if self.forward_only:
            last.dies = len(self.steps) - 1
        for s in self.storages.values():
            if s.born < 0:            # never touched (e.g. unused input): zero-length life
                s.born = s.dies = 0
        # a Concat buffer lives as long as any of the views inside it (nested: repeat)
        changed = True
        while changed:
            changed = False
            for s in self.storages.values():
                p = self.storages[s.parent] if s.parent else None
                if p is not None and (s.born < p.born or s.dies > p.dies):
                    p.born, p.dies = min(p.born, s.born), max(p.dies, s.dies)
                    changed = True


def build_program(graph: Graph, layers: list[TrainLayer], *, forward_only: bool = False,
                  work_bytes: dict[int, tuple[int, int]] | None = None,
                  concat_in_place: bool = True) -> TrainingProgram:
    """work_bytes: layer index -> (save step, weight_grad step) scratch bytes of the
    layers whose saved activation is compressed (codegen/compression_c.py).
    concat_in_place: Concat inputs become views inside its output (no copy, but their
    buffer lives as long as the Concat's); the emitter keeps whichever layout is smaller."""
    b = _Builder(graph, [] if forward_only else layers, forward_only, work_bytes)
    b.concat_in_place = concat_in_place
    needs_grad = b.requires_grad()
    b.forward(needs_grad)
    bwd_nodes = b.backward(needs_grad)
    # the loss reads the logits; keep them alive to the end so a caller can report them
    b.liveness()
    logits = b.storages[b.act[graph.output]]
    logits.dies = max(logits.dies, len(b.steps) - 1)
    return TrainingProgram(graph, b.layers, b.steps, b.storages, b.act, b.grad, b.aux,
                           bwd_nodes, forward_only)
