"""Tiny ONNX models whose every name is chosen by the test (hostile names for the C
emitter): Conv(1->2, 3x3, bias) -> Relu -> Flatten -> Gemm(32->3, bias)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: Roles of the names, in the order a names list fills them.
ROLES = ("input", "conv_w", "conv_b", "conv_out", "relu_out", "flat_out", "gemm_w", "gemm_b",
         "logits", "conv_node", "relu_node", "flat_node", "gemm_node")


def tiny_model(names: list[str], seed: int = 0) -> onnx.ModelProto:
    n = dict(zip(ROLES, names))
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(rng.standard_normal((2, 1, 3, 3)).astype(np.float32), n["conv_w"]),
             numpy_helper.from_array(rng.standard_normal(2).astype(np.float32), n["conv_b"]),
             numpy_helper.from_array(rng.standard_normal((3, 32)).astype(np.float32) * 0.3, n["gemm_w"]),
             numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), n["gemm_b"])]
    nodes = [helper.make_node("Conv", [n["input"], n["conv_w"], n["conv_b"]], [n["conv_out"]],
                              name=n["conv_node"], kernel_shape=[3, 3]),
             helper.make_node("Relu", [n["conv_out"]], [n["relu_out"]], name=n["relu_node"]),
             helper.make_node("Flatten", [n["relu_out"]], [n["flat_out"]], name=n["flat_node"]),
             helper.make_node("Gemm", [n["flat_out"], n["gemm_w"], n["gemm_b"]], [n["logits"]],
                              name=n["gemm_node"], transB=1)]
    graph = helper.make_graph(nodes, "tiny",
                              [helper.make_tensor_value_info(n["input"], TensorProto.FLOAT, [1, 1, 6, 6])],
                              [helper.make_tensor_value_info(n["logits"], TensorProto.FLOAT, [1, 3])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tiny_plan(names: list[str]) -> dict:
    n = dict(zip(ROLES, names))
    return {"format": "medyate-plan/1", "budget_bytes": 4096,
            "layers": [{"weight": n["conv_w"], "bias": True}, {"weight": n["gemm_w"], "bias": True}]}


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path
