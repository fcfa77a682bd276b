"""NEq's neuron statistics during a device run: each neuron's output on a few fixed
probe images, from the weights the device holds after an epoch.

NEq (Bragagnolo et al.) measures how much every output channel's response to held-out
images changed since the previous epoch, delta_phi = 1 - cos(y(t), y(t-1)). The device
reports its trained weights after every epoch anyway (the run's finetuned.onnx is built
from them), so the probe forward runs on the host with exactly those weights (the
reference executor over the same graph, frozen int8 prefix included): the device spends
no memory keeping last epoch's outputs (out_channels x H x W x images floats per layer)
and the protocol needs no new message. The policy keeps the previous outputs
(NEqVelocity.observe_probe), so a resumed run continues its velocities.
"""
from __future__ import annotations

import numpy as np

from medyate.codegen.ir import Graph
from medyate.codegen.plan import TrainLayer
from medyate.codegen.reference import STEP_HANDLERS, ReferenceExecutor

#: NEq's probe set size (10 held-out images in the paper)
PROBE_IMAGES = 10


class NeuronProbe:
    """Per planned layer, the (out_channels, images * H * W) outputs of its neurons."""

    def __init__(self, graph: Graph, layers: list[TrainLayer], images: np.ndarray) -> None:
        self.graph, self.layers = graph, layers
        self.images = np.asarray(images, np.float64)
        self.executor = ReferenceExecutor(graph, layers)
        self._wanted = {l.node.outputs[0]: l for l in layers}

    def load(self, state: dict[str, np.ndarray]) -> None:
        """Device weights in the checkpoint layout ("w3"/"b3": layer 3, IR layout)."""
        for key, values in state.items():
            layer = self.layers[int(key[1:])]
            name = layer.weight if key[0] == "w" else layer.bias
            if name is None:
                continue
            target = self.executor.params[name]
            target[...] = np.asarray(values, np.float64).reshape(target.shape)

    def outputs(self, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """weight name -> the layer's neuron outputs on the probe images, one row each."""
        self.load(state)
        program = self.executor.inference
        per_layer: dict[str, list[np.ndarray]] = {l.onnx_weight: [] for l in self.layers}
        for image in self.images:
            env = {program.act_storage[self.graph.input]: image.reshape(
                self.graph.tensors[self.graph.input].shape)}
            for i, step in enumerate(program.steps):
                STEP_HANDLERS[step.kind](self.executor, step, env)
                out = step.node.outputs[0] if step.node is not None else None
                if out in self._wanted and step.kind == "forward":
                    layer = self._wanted[out]
                    y = np.asarray(env[step.writes[0]]).reshape(layer.out_channels, -1)
                    per_layer[layer.onnx_weight].append(y.copy())
                for name in program.deaths.get(i, ()):
                    env.pop(name, None)
        return {weight: np.concatenate(rows, axis=1) for weight, rows in per_layer.items()}


def probe_images(x_train: np.ndarray, seed: int, count: int = PROBE_IMAGES) -> np.ndarray:
    """A fixed, seeded draw of training images (labels are never used)."""
    order = np.random.default_rng([seed, 77]).permutation(len(x_train))[:count]
    return np.asarray(x_train[np.sort(order)])


def delta_phi(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """1 - cos(current_n, previous_n) per neuron row; a neuron silent at both epochs did
    not change (0), one silent at exactly one of them changed completely (1)."""
    dot = np.sum(previous * current, axis=1)
    norms = np.linalg.norm(previous, axis=1) * np.linalg.norm(current, axis=1)
    both_silent = (np.linalg.norm(previous, axis=1) == 0) & (np.linalg.norm(current, axis=1) == 0)
    cos = np.where(norms > 0, dot / np.where(norms > 0, norms, 1.0), 0.0)
    return np.where(both_silent, 0.0, 1.0 - np.clip(cos, -1.0, 1.0))
