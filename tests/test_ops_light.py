"""Issue 12: the small real models the onnx package ships as backend test data
(onnx/backend/test/data/light) import, with their ConstantOfShape weights as trainable
initializers, and the reference forward matches onnxruntime.

The shipped weights are constant fills (every class gets the same logit), so the
comparison first gives every weight a seeded random value and drops the final Softmax:
the logits then differ per class and a wrong LRN, Concat or pooling shows. Only the
models that run in a few seconds are tested here (SqueezeNet: Concat, Dropout with an
unused mask, a Softmax over (C, 1, 1); Inception-v1: LRN, Concat); the others were
checked by hand (see the report) and take 5-60 s each.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from medyate.codegen.const_weights import constants_as_initializers
from medyate.codegen.frontend import load_graph
from medyate.codegen.reference import ReferenceExecutor

LIGHT = Path(os.path.dirname(onnx.__file__)) / "backend" / "test" / "data" / "light"


def randomised_logits_model(name: str, tmp: Path) -> Path:
    model = constants_as_initializers(onnx.load(str(LIGHT / f"light_{name}.onnx")))
    rng = np.random.default_rng(0)
    inits = model.graph.initializer
    for i, init in enumerate(list(inits)):
        value = numpy_helper.to_array(init)
        if value.dtype != np.float32 or value.ndim == 0 or init.name.endswith("__SHAPE"):
            continue
        fan_in = int(np.prod(value.shape[1:])) if value.ndim > 1 else 1
        scale = np.sqrt(2.0 / fan_in) if value.ndim > 1 else 0.1
        inits[i].CopyFrom(numpy_helper.from_array(
            (rng.standard_normal(value.shape) * scale).astype(np.float32), init.name))
    last = model.graph.node[-1]
    assert last.op_type == "Softmax"
    out = model.graph.output[0]
    out.name = last.input[0]
    del model.graph.node[len(model.graph.node) - 1]
    path = tmp / f"{name}_random.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("name,trainable", [("squeezenet", 26), ("inception_v1", 57)])
def test_light_model_forward_matches_onnxruntime(name: str, trainable: int, tmp_path: Path) -> None:
    shipped = load_graph(LIGHT / f"light_{name}.onnx")
    assert len(shipped.trainable_layers()) == trainable     # ConstantOfShape weights train
    path = randomised_logits_model(name, tmp_path)
    graph = load_graph(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal((1,) + graph.tensors[graph.input].shape)
    expected = sess.run(None, {sess.get_inputs()[0].name: x.astype(np.float32)})[0].reshape(-1)
    got = ReferenceExecutor(graph, []).forward(x[0].astype(np.float32)).reshape(-1)
    assert np.std(expected) > 1e-3 * np.abs(expected).max()       # not a constant output
    assert np.abs(got - expected).max() < 1e-4 * max(1.0, np.abs(expected).max())
