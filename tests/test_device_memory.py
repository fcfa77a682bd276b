"""Whole-device memory model: formulas, and the prediction against linked firmware.

The firmware builds here (arm-none-eabi, cached by content) are the check that the
prediction `plan --board` relies on is an upper bound of what the linker lays out, and
close to it, on models that were not part of the calibration (the test zoo; the
calibration used the shipped models).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from medyate import PROJECT_ROOT
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan, resolve_layers
from medyate.host_tools.selection.device_memory import (FLASH_REGIONS, SRAM_REGIONS, frozen_weight_bytes,
                                              predict_plan)
from medyate.host_tools.selection.memory_report import linked_breakdown
from medyate.host_tools.device.firmware_build import elf_section_sizes
from zoo import exported

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc not installed")


def test_frozen_weight_bytes_per_dtype() -> None:
    assert frozen_weight_bytes(3 * 3 * 16 * 8, 16, True, "fp32") == 4 * (1152 + 16)
    assert frozen_weight_bytes(3 * 3 * 16 * 8, 16, False, "fp32") == 4 * 1152
    # int8 (codegen/quantize.py): a byte per weight (whole words) + Q31 multiplier, shift
    # and int32 bias per output channel
    assert frozen_weight_bytes(1152, 16, True, "int8") == 1152 + 12 * 16
    assert frozen_weight_bytes(10, 2, False, "int8") == 12 + 12 * 2
    with pytest.raises(ValueError, match="frozen dtype"):
        frozen_weight_bytes(1, 1, False, "int4")


def test_int8_shrinks_only_layers_below_the_first_trainable_one() -> None:
    model = PROJECT_ROOT / "models" / "mbv2_mnist.onnx"
    graph = load_graph(model)
    full = Plan.all_layers(graph)
    deepest = Plan(4096, full.layers[-2:])
    fp32 = predict_plan(graph, deepest, frozen="fp32").regions
    int8 = predict_plan(graph, deepest, frozen="int8").regions
    assert int8["frozen_weights"] < fp32["frozen_weights"] / 2
    # int8 activations below the plan: a smaller arena; the input staged at 1 B/element
    assert int8["arena"] < fp32["arena"]
    input_elems = int(np.prod(graph.tensors[graph.input].shape))
    channels = sum(l.in_channels for l in resolve_layers(graph, deepest))   # read-back scratch
    assert fp32["app_buffers"] - int8["app_buffers"] == \
        max(4 * input_elems, 4 * channels) - max(input_elems, 4 * channels) > 0
    same = ("trainable_weights", "gradient_buffers", "runtime_static", "stack", "trainable_init")
    assert {k: int8[k] for k in same} == {k: fp32[k] for k in same}
    # training the first layer leaves nothing below it to quantize
    first = Plan(4096, full.layers[:1])
    assert predict_plan(graph, first, frozen="int8").regions["frozen_weights"] == \
        predict_plan(graph, first, frozen="fp32").regions["frozen_weights"]


def _cases(zoo_dir: Path) -> list[tuple[str, Path, Plan]]:
    plain = exported("plain_cnn", "torchscript", False, zoo_dir)
    mcunet = exported("mcunet_tiny", "torchscript", False, zoo_dir)
    return [
        ("zoo plain_cnn, conv2 + fc1", plain,
         Plan(6000, [l for l in Plan.all_layers(load_graph(plain)).layers][1:3])),
        ("zoo mcunet_tiny, deepest 4", mcunet,
         Plan(20000, Plan.all_layers(load_graph(mcunet)).layers[-4:])),
    ]


def FLASH_SLACK(linked_flash: int) -> float:  # noqa: N802 (a tolerance, named as one)
    """How far above the linked flash a prediction may be. The code model is linear in the
    program's steps plus one term per linked gradient dispatcher and one for the int8
    kernels, fitted on the shipped models; a model that links fewer of the dispatchers'
    fast paths than theirs is over-predicted (zoo MCUNet: 11.7 KB of 202 KB), never under."""
    return 4096 + 0.08 * linked_flash


@needs_arm
def test_prediction_bounds_the_linked_firmware(zoo_dir: Path) -> None:
    from medyate.host_tools.device.device_model import build_device_model

    for label, model, plan in _cases(zoo_dir):
        graph = load_graph(model)
        built = build_device_model("qemu-mps2-an386", model, plan, graph, allow_full_memory=True)
        linked = linked_breakdown(built.build.artifact)
        predicted = predict_plan(graph, plan, pool_bytes=built.memory["channel_pool_bytes"])
        sizes = elf_section_sizes(built.build.artifact)
        # the linked regions partition the image exactly
        assert linked.sram_bytes == sizes.static_ram_bytes + sizes.stack_bytes, label
        assert linked.flash_bytes == sizes.flash_bytes, label
        # regions the compiler sizes exactly
        for region in ("arena", "trainable_weights", "frozen_weights", "trainable_init", "stack"):
            assert predicted.regions[region] == linked.regions[region], (label, region)
        assert linked.regions["arena"] == built.memory["arena_bytes"]
        # every region an upper bound, totals close
        for region in SRAM_REGIONS + FLASH_REGIONS:
            assert predicted.regions[region] >= linked.regions[region], (label, region)
        assert predicted.sram_bytes - linked.sram_bytes <= 1024, (label, predicted.regions, linked.regions)
        assert predicted.flash_bytes - linked.flash_bytes <= FLASH_SLACK(linked.flash_bytes), label


@needs_arm
def test_compile_reports_predicted_beside_linked(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from medyate.cli import main

    model = PROJECT_ROOT / "models" / "cnn4_mnist.onnx"
    plan = tmp_path / "plan.json"
    result = CliRunner().invoke(main, ["plan", str(model), "--board", "nrf52840-dk", "-o", str(plan)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "c"
    result = CliRunner().invoke(main, ["compile", str(model), "--plan", str(plan),
                                       "--target", "qemu-mps2-an386", "-o", str(out)])
    assert result.exit_code == 0, result.output
    memory = json.loads((out / "memory.json").read_text())
    for key in ("arena_bytes", "arena_lower_bound_bytes", "channel_pool_bytes", "flash_bytes",
                "static_ram_bytes"):
        assert key in memory
    device = memory["device_memory"]
    assert device["board"]["name"] == "nrf52840-dk"
    assert device["linked"]["sram_bytes"] == memory["static_ram_bytes"] + memory["stack_reserved_bytes"]
    assert device["linked"]["sram_bytes"] <= device["predicted"]["sram_bytes"] <= 256 * 1024
    assert device["linked"]["flash_bytes"] == memory["flash_bytes"]
    assert "linked (ELF)" in result.output
    rows = {r["region"]: r for r in device["regions"]}
    assert rows["arena"]["predicted_bytes"] == rows["arena"]["linked_bytes"] == memory["arena_bytes"]
    assert np.isclose(device["predicted"]["flash_bytes"], device["linked"]["flash_bytes"], rtol=0.05)


@needs_arm
def test_int8_prediction_is_the_compiled_int8_build(zoo_dir: Path) -> None:
    """The plan's prediction of an int8 build is made on the graph codegen emits: its
    arena is the compiled arena to the byte (int8 activations, no float copy of the
    input), and every region bounds the linked firmware (int8 kernels' code included)."""
    from medyate.codegen.quantize import apply_frozen
    from medyate.host_tools.device.device_model import build_device_model

    model = exported("mcunet_tiny", "torchscript", False, zoo_dir)
    graph = load_graph(model)
    plan = Plan(8000, Plan.all_layers(graph).layers[-3:])
    x = np.random.default_rng(0).normal(size=(8,) + graph.tensors[graph.input].shape)
    q = apply_frozen(graph, plan, "int8", x.astype(np.float32))
    built = build_device_model("qemu-mps2-an386", model, plan, q, allow_full_memory=True)
    linked = linked_breakdown(built.build.artifact)
    predicted = predict_plan(graph, plan, frozen="int8", pool_bytes=built.memory["channel_pool_bytes"])
    fp32 = predict_plan(graph, plan, frozen="fp32", pool_bytes=built.memory["channel_pool_bytes"])
    assert built.memory["frozen"] == "int8"
    assert predicted.regions["arena"] == built.memory["arena_bytes"] == linked.regions["arena"]
    assert predicted.regions["arena"] < fp32.regions["arena"]
    for region in ("trainable_weights", "frozen_weights", "trainable_init", "stack"):
        assert predicted.regions[region] == linked.regions[region], region
    for region in SRAM_REGIONS + FLASH_REGIONS:
        assert predicted.regions[region] >= linked.regions[region], (region, predicted.regions, linked.regions)
    assert predicted.sram_bytes - linked.sram_bytes <= 1024, (predicted.regions, linked.regions)
    assert predicted.flash_bytes - linked.flash_bytes <= FLASH_SLACK(linked.flash_bytes)
