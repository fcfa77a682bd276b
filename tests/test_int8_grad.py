"""`medyate grad --frozen int8`: the frozen prefix runs in int8 and the gradients of the
trainable float part are those of torch autograd on top of a torch replica of the
quantized forward (integer conv/add/pool in torch, gemmlowp requantization in torch
int64), and the int8 build gives the same gradients on reference, host and QEMU."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from click.testing import CliRunner

import zoo
from medyate.cli import main
from medyate.codegen.compiler import compile_model
from medyate.codegen.frontend import load_graph
from medyate.codegen.ir import Graph
from medyate.codegen.ops.registry import IR_OPS
from medyate.codegen.plan import Plan, Schedule, resolve_layers
from medyate.codegen.quantize import (apply_frozen, frozen_weight_bytes, input_quantizer,
                                     quantize_input_samples)
from medyate.codegen.training import build_program
from medyate.host_tools.device.device import Device, write_preload_dataset
from medyate.host_tools.device.device_model import build_device_model
from medyate.host_tools.device.protocol import SampleEncoding
from medyate.host_tools.device.targets import grad_target


class Net(nn.Module):
    """int8 prefix: conv+ReLU6, depthwise s2 + ReLU, pointwise, residual add, max pool;
    float top (the plan): conv + ReLU, global average, linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 8, 1)
        self.conv3 = nn.Conv2d(8, 12, 3, padding=1)
        self.fc = nn.Linear(12, 10)

    def prefix(self, x: torch.Tensor) -> torch.Tensor:
        b = F.relu(self.dw(F.relu6(self.conv1(x))))
        return F.max_pool2d(b + self.pw(b), 2)

    def top(self, e: torch.Tensor) -> torch.Tensor:
        return self.fc(F.relu(self.conv3(e)).mean(dim=(2, 3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.top(self.prefix(x))


SHAPE = (1, 3, 16, 16)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Net, Path, np.ndarray, np.ndarray]:
    torch.manual_seed(0)
    net = Net()
    tmp = tmp_path_factory.mktemp("int8grad")
    model = zoo.export_onnx(net, tmp / "net.onnx", SHAPE)
    plan = tmp / "plan.json"
    plan.write_text(json.dumps(Plan(0, [{"weight": "conv3.weight", "bias": True},
                                        {"weight": "fc.weight", "bias": True}]).to_dict()))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6,) + SHAPE[1:]).astype(np.float32)
    y = rng.integers(0, 10, 6)
    return model, net, plan, x, y


# ------------------------------------------------------------------ the torch replica
def t_requant(acc: torch.Tensor, mult: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """gemmlowp MultiplyByQuantizedMultiplier in torch int64."""
    left, right = shift.clamp(min=0), (-shift).clamp(min=0)
    a = (acc * (2 ** left)).clamp(-2 ** 31, 2 ** 31 - 1)
    ab = a * mult
    v = ab + torch.where(ab >= 0, torch.tensor(1 << 30), torch.tensor(1 - (1 << 30)))
    high = torch.where(v >= 0, torch.div(v, 2 ** 31, rounding_mode="floor"),
                       -torch.div(-v, 2 ** 31, rounding_mode="floor"))
    mask = 2 ** right - 1
    rem = torch.remainder(high, 2 ** right)      # == high & mask for power-of-two moduli
    threshold = torch.div(mask, 2, rounding_mode="floor") + (high < 0).long()
    return torch.div(high, 2 ** right, rounding_mode="floor") + (rem > threshold).long()


def replica_prefix(q: Graph, x: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
    """The quantized prefix with torch integer arithmetic, from the quantized graph's
    parameters; returns (int8 values of the boundary, their dequantized float64)."""
    quant = next(n for n in q.nodes if n.op == "quantize")
    inv = torch.tensor(np.float32(1) / np.float32(quant.attrs["scale"]))
    prod = torch.tensor(x, dtype=torch.float32) * inv
    env: dict[str, torch.Tensor] = {}
    env[quant.outputs[0]] = (torch.sign(prod.double()) * torch.floor(prod.double().abs() + 0.5)
                             ).long().add(quant.attrs["zp"]).clamp(-128, 127)

    def const(name: str) -> torch.Tensor:
        return torch.tensor(q.tensors[name].data.astype(np.int64))

    for node in q.nodes:
        a = node.attrs
        if node.op == "qconv":
            x_i, w, b, m, s = env[node.inputs[0]], *(const(i) for i in node.inputs[1:])
            t, l, bo, r = a["pads"]
            xin = F.pad((x_i - a["in_zp"]).double().unsqueeze(0), (l, r, t, bo))
            acc = F.conv2d(xin, w.double(), None, a["strides"], 0, a["dilations"], a["group"])[0]
            acc = acc.round().long() + b[:, None, None]           # exact: |acc| << 2**53
            y = t_requant(acc, m[:, None, None], s[:, None, None]) + a["out_zp"]
            env[node.outputs[0]] = y.clamp(a["act_min"], a["act_max"])
        elif node.op == "qadd":
            sa = t_requant((env[node.inputs[0]] - a["zp_a"]) * 2 ** 20, torch.tensor(a["mult_a"]),
                           torch.tensor(a["shift_a"]))
            sb = t_requant((env[node.inputs[1]] - a["zp_b"]) * 2 ** 20, torch.tensor(a["mult_b"]),
                           torch.tensor(a["shift_b"]))
            y = t_requant(sa + sb, torch.tensor(a["mult_out"]), torch.tensor(a["shift_out"]))
            env[node.outputs[0]] = (y + a["zp_out"]).clamp(a["act_min"], a["act_max"])
        elif node.op == "qmaxpool":
            env[node.outputs[0]] = F.max_pool2d(env[node.inputs[0]].double().unsqueeze(0),
                                                a["kernel"], a["strides"])[0].long()
        elif node.op == "dequantize":
            qv = env[node.inputs[0]]
            real = (qv - a["zp"]).float() * torch.tensor(np.float32(a["scale"]))
            return qv.numpy(), real.double()
        elif node.op != "quantize":
            raise AssertionError(f"replica has no {node.op}")
    raise AssertionError("no dequantize")


def run_cli(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


def test_int8_grad_matches_torch_replica(setup, tmp_path: Path) -> None:
    model, net, plan, x, y = setup
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "g.npz"
    run_cli("grad", str(model), "--plan", str(plan), "--inputs", str(tmp_path / "x.npy"),
            "--labels", str(tmp_path / "y.npy"), "--frozen", "int8", "-o", str(out))
    got = dict(np.load(out))
    graph = load_graph(model)
    q = apply_frozen(graph, Plan.load(plan), "int8", x)
    ops = [n.op for n in q.nodes]
    assert ops[:7] == ["quantize", "qconv", "qconv", "qconv", "qadd", "qmaxpool", "dequantize"], ops
    # the quantized weights are the float ones to within half a step per channel
    first = next(n for n in q.nodes if n.op == "qconv")
    w8 = q.tensors[first.inputs[1]].data
    assert w8.dtype == np.int8 and np.abs(w8).max() == 127
    w_real = w8 * first.attrs["w_scale"][:, None, None, None]
    assert np.abs(w_real - net.conv1.weight.detach().numpy()).max() <= 0.5 * first.attrs["w_scale"].max() + 1e-7
    # reference executor's int8 boundary == torch replica's, to the bit
    env = {q.input: x[0].astype(np.float64)}
    for node in q.nodes:
        ins = [env[i] for i in node.inputs if not q.tensors[i].is_const]
        params = [q.tensors[i].data.astype(np.float64) for i in node.inputs if q.tensors[i].is_const]
        env[node.outputs[0]] = IR_OPS[node.op].forward(node, ins, params)[0]
        if node.op == "dequantize":
            np.testing.assert_array_equal(env[node.inputs[0]], replica_prefix(q, x[0])[0])
            break
    # gradients: autograd through the float top on the replica's dequantized activation
    top = Net().double()
    top.load_state_dict(net.state_dict())
    e = torch.stack([replica_prefix(q, xi)[1] for xi in x])
    loss = F.cross_entropy(top.top(e), torch.tensor(y))
    loss.backward()
    for name, p in top.named_parameters():
        if name.startswith(("conv3", "fc")):
            want = p.grad.numpy()
            err = np.abs(got[name] - want).max() / np.abs(want).max()
            assert err < 1e-4, (name, err)
    assert abs(float(got["loss"]) - loss.item()) < 1e-5
    # and int8 is not a no-op: the fp32 gradients differ from the int8 ones
    out32 = tmp_path / "g32.npz"
    run_cli("grad", str(model), "--plan", str(plan), "--inputs", str(tmp_path / "x.npy"),
            "--labels", str(tmp_path / "y.npy"), "-o", str(out32))
    g32 = dict(np.load(out32))
    assert np.abs(g32["conv3.weight"] - got["conv3.weight"]).max() > 1e-6
    # flash: int8 region weights 1 B each + 12 B per output channel
    fp = frozen_weight_bytes(graph, ["conv3.weight", "fc.weight"], "fp32")
    i8 = frozen_weight_bytes(graph, ["conv3.weight", "fc.weight"], "int8")
    n_w = 8 * 3 * 9 + 8 * 9 + 8 * 8
    assert fp == 4 * (n_w + 24) and i8 == n_w + 12 * 24
    # ... which is what the compiled int8 model holds in flash, and its int8 arena buffers
    # take one byte per element
    generated, _ = compile_model(model, Plan.load(plan), tmp_path / "c", graph=q)
    assert generated.memory["const_weight_bytes"] == i8 and generated.memory["frozen"] == "int8"
    sizes = {s.name: s.nbytes for s in generated.program.storages.values()}
    first = next(n for n in q.nodes if n.op == "qconv")
    assert sizes[first.outputs[0]] == q.tensors[first.outputs[0]].size
    assert "static const int8_t" in generated.model_c and "mdy_conv2d_s8(" in generated.model_c


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="needs qemu-system-arm and arm-none-eabi-gcc")
def test_int8_build_reference_host_qemu_agree(setup) -> None:
    model, net, plan_path, x, y = setup
    plan = Plan.load(plan_path)
    q = apply_frozen(load_graph(model), plan, "int8", x)
    layers = resolve_layers(q, plan)
    rng = np.random.default_rng(1)
    schedule = Schedule({l.onnx_weight: sorted(rng.choice(l.in_channels, l.in_channels // 2,
                                                          replace=False).tolist()) for l in layers})
    args = dict(model=model, graph=q, plan=plan, layers=layers, schedule=schedule, x=x, y=y)
    ref = grad_target("reference")(**args)
    host = grad_target("host")(**args)
    qemu = grad_target("qemu-mps2-an386")(**args)
    for key in ref:
        scale = max(np.abs(ref[key]).max(), 1e-12)
        assert np.abs(host[key] - ref[key]).max() / scale < 1e-4, key
        assert np.abs(qemu[key] - ref[key]).max() / scale < 1e-4, key


def test_plan_frozen_entry_is_the_default(setup, tmp_path: Path) -> None:
    model, net, plan, x, y = setup
    document = json.loads(plan.read_text())
    document["frozen"] = "int8"
    plan8 = tmp_path / "plan8.json"
    plan8.write_text(json.dumps(document))
    np.save(tmp_path / "x.npy", x[:2])
    np.save(tmp_path / "y.npy", y[:2])
    base = ["grad", str(model), "--inputs", str(tmp_path / "x.npy"), "--labels",
            str(tmp_path / "y.npy"), "-o", str(tmp_path / "g.npz")]
    result = CliRunner().invoke(main, base + ["--plan", str(plan8)])
    assert result.exit_code == 0 and "frozen layers: int8" in result.output, result.output
    result = CliRunner().invoke(main, base + ["--plan", str(plan8), "--frozen", "fp32"])
    assert result.exit_code == 0 and "int8" not in result.output, result.output
    document["frozen"] = "int4"
    plan8.write_text(json.dumps(document))
    result = CliRunner().invoke(main, base + ["--plan", str(plan8)])
    assert result.exit_code == 2 and "int4" in result.output and "Traceback" not in result.output


# ------------------------------------------------------- the int8 input path (issue #9)
def test_int8_input_is_quantized_on_the_host_as_the_replica(setup) -> None:
    """An int8 build takes its input as int8: the host's quantization of a float sample
    (what it sends as encoding S8) is the torch replica's, and the compiled program keeps
    no float copy of the input in the arena."""
    model, net, plan_path, x, y = setup
    q = apply_frozen(load_graph(model), Plan.load(plan_path), "int8", x)
    assert input_quantizer(q) is q.nodes[0]
    quant = q.nodes[0]
    inv = torch.tensor(np.float32(1) / np.float32(quant.attrs["scale"]))
    prod = (torch.tensor(x, dtype=torch.float32) * inv).double()
    expected = (torch.sign(prod) * torch.floor(prod.abs() + 0.5)).long().add(
        quant.attrs["zp"]).clamp(-128, 127).numpy()
    host = quantize_input_samples(q, x)
    assert host.dtype == np.int8 and np.array_equal(host.astype(np.int64), expected)
    assert len(np.unique(host)) > 50           # a real spread, not a saturated input
    program = build_program(q, resolve_layers(q, Plan.load(plan_path)))
    storage = program.storages[program.act_storage[q.input]]
    assert storage.kind == "input" and storage.nbytes == 0
    assert program.storages[program.act_storage[quant.outputs[0]]].nbytes == int(np.prod(SHAPE))
    fp32 = build_program(load_graph(model), resolve_layers(load_graph(model), Plan.load(plan_path)))
    assert fp32.storages[fp32.act_storage[q.input]].nbytes == 4 * int(np.prod(SHAPE))


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="needs qemu-system-arm and arm-none-eabi-gcc")
def test_int8_samples_on_the_device_equal_float_samples_bit_for_bit(setup, tmp_path: Path) -> None:
    """The firmware of an int8-input model offers encoding S8 and stages 1 byte per
    element; a float sample (quantized on the device), the same sample quantized on the
    host (S8, inline, staged in chunks and preloaded) give bit-identical logits and
    losses, and those match the reference executor."""
    model, net, plan_path, x, y = setup
    plan = Plan.load(plan_path)
    q = apply_frozen(load_graph(model), plan, "int8", x)
    built = build_device_model("qemu-mps2-an386", model, plan, q, allow_full_memory=True)
    xq = quantize_input_samples(q, x).reshape(len(x), -1)
    flat = x.reshape(len(x), -1)
    preload = write_preload_dataset(tmp_path / "data.bin", xq, y, SampleEncoding.S8)
    with Device.open_qemu(built.build.artifact, expected_model_hash=built.model_hash,
                          preload=preload) as device:
        assert device.info is not None and (device.info.encodings >> SampleEncoding.S8) & 1
        f32 = device.evaluate(flat, y, return_logits=True)
        s8 = device.evaluate(xq, y, return_logits=True, encoding=SampleEncoding.S8)
        pre = device.evaluate_preloaded(0, len(x), return_logits=True)
        device.max_payload = 64               # one sample over several frames: SAMPLE_CHUNK
        staged = device.evaluate(xq[:2], y[:2], return_logits=True, encoding=SampleEncoding.S8)
    for other in (s8, pre):
        assert np.array_equal(other.logits, f32.logits) and np.array_equal(other.losses, f32.losses)
    assert np.array_equal(staged.logits, f32.logits[:2])
    ref = grad_target("reference")(model=model, graph=q, plan=plan,
                                   layers=resolve_layers(q, plan), schedule=Schedule({}), x=x, y=y)
    scale = np.abs(ref["logits"]).max()
    assert np.abs(f32.logits - ref["logits"]).max() / scale < 1e-5
