"""`medyate plan --board`: plans that fit the whole device, and clear refusals."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from medyate import PROJECT_ROOT
from medyate.cli import main
from medyate.codegen.emit_c import pool_bytes_for
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan, resolve_layers
from medyate.host_tools.device.boards import get_board
from medyate.host_tools.selection.device_memory import predict_plan
from zoo import exported

MBV2 = PROJECT_ROOT / "models" / "mbv2_mnist.onnx"


def _plan(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["plan", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_board_plan_fits_with_the_largest_pool_and_not_every_layer(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    code, output = _plan([str(MBV2), "--board", "nrf52840-dk", "-o", str(out)])
    assert code == 0, output
    doc = json.loads(out.read_text())
    assert doc["format"] == "medyate-plan/1" and isinstance(doc["budget_bytes"], int)
    graph = load_graph(MBV2)
    n_all = len(graph.trainable_layers())
    assert 1 <= len(doc["layers"]) < n_all               # never every layer
    # without a ranking: the deepest layers
    depth = {graph.tensors[n.inputs[1]].binding.onnx_name: i
             for i, n in enumerate(graph.trainable_layers())}
    chosen = sorted(depth[l["weight"]] for l in doc["layers"])
    assert chosen == list(range(n_all - len(chosen), n_all))
    board = get_board("nrf52840-dk")
    assert doc["board"] == board.name and doc["frozen"] == "fp32"
    plan = Plan.from_dict(doc)
    predicted = predict_plan(graph, plan)
    assert predicted.sram_bytes <= board.sram_bytes and predicted.flash_bytes <= board.flash_bytes
    assert doc["memory"]["predicted"]["sram_bytes"] == predicted.sram_bytes
    # the largest pool: 8 more bytes would eat into the headroom kept for board firmware,
    # or the pool already holds every channel
    from medyate.host_tools.selection.board_plan import SRAM_HEADROOM_BYTES
    layers = resolve_layers(graph, plan)
    full = pool_bytes_for(layers, 1 << 40)
    if doc["budget_bytes"] < full:
        bigger = predict_plan(graph, Plan(doc["budget_bytes"] + 8, doc["layers"]))
        assert bigger.sram_bytes > board.sram_bytes - SRAM_HEADROOM_BYTES
    assert "predicted" in output and "trainable_weights" in output


def test_board_plan_takes_a_given_budget(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    code, output = _plan([str(MBV2), "--board", "stm32f746g-disco", "--budget", "6KiB",
                          "-o", str(out)])
    assert code == 0, output
    small = json.loads(out.read_text())
    assert small["budget_bytes"] == 6144
    # a budget beyond what the board holds: fewer layers, so that their whole pool fits
    code, output = _plan([str(MBV2), "--board", "nucleo-f446re", "--budget", "1MiB",
                          "-o", str(out)])
    assert code == 0, output
    big = json.loads(out.read_text())
    assert big["budget_bytes"] == 1 << 20 and len(big["layers"]) < len(small["layers"])
    assert big["memory"]["predicted"]["sram_bytes"] <= 128 * 1024


def test_board_plan_with_a_ranking_keeps_the_best_ranked_layers(tmp_path: Path) -> None:
    graph = load_graph(MBV2)
    names = [graph.tensors[n.inputs[1]].binding.onnx_name for n in graph.trainable_layers()]
    from medyate.host_tools.selection.ranking import all_layers, layer_specs
    specs = layer_specs(graph, all_layers(graph))
    rng = np.random.default_rng(1)
    stats = {s.weight: (rng.uniform(0.0, 0.01, s.in_channels)).tolist() for s in specs}
    stats[names[3]] = [5.0] * specs[3].in_channels      # one clear winner, shallow
    ranking = tmp_path / "ranking.json"
    ranking.write_text(json.dumps({"format": "medyate-ranking/1", "stats": stats}))
    out = tmp_path / "plan.json"
    code, output = _plan([str(MBV2), "--board", "nucleo-f446re", "--ranking", str(ranking),
                          "-o", str(out)])
    assert code == 0, output
    weights = [l["weight"] for l in json.loads(out.read_text())["layers"]]
    assert names[3] in weights and len(weights) < len(names)
    assert "best by RGN" in output


def test_a_board_where_nothing_fits_names_each_shortfall(zoo_dir: Path, tmp_path: Path) -> None:
    model = exported("mbv2_w035_32", "torchscript", False, zoo_dir)   # 264,810 parameters
    code, output = _plan([str(model), "--board", "nucleo-f446re", "--frozen", "fp32",
                          "-o", str(tmp_path / "p.json")])
    assert code == 2
    text = " ".join(output.split())
    assert text.startswith("error: nothing fits nucleo-f446re")
    assert "flash needs" in text and "short by" in text and "Traceback" not in output
    assert "frozen weights are fp32" in text and "--frozen int8" in text
    assert not (tmp_path / "p.json").exists()
    # fp32 frozen weights of ~265k parameters exceed the 1 MiB of flash: without --frozen the
    # plan falls back to the int8 backbone and says why
    code, output = _plan([str(model), "--board", "stm32f746g-disco", "-o", str(tmp_path / "q.json")])
    assert code == 0, output
    assert "int8 chosen because fp32 does not fit" in " ".join(output.split())
    assert json.loads((tmp_path / "q.json").read_text())["frozen"] == "int8"


@pytest.mark.parametrize("args, message", [
    ([], "give --budget"),
    (["--data", "mnist", "--budget", "8KiB"], "needs --board"),
    (["--board", "no-such-board"], "unknown board"),
    (["--board", "nrf52840-dk", "--data", "mnist", "--ranking", "r.json"], "not both"),
])
def test_plan_option_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = _plan([str(MBV2), *args, "-o", str(tmp_path / "p.json")])
    assert code == 2 and message in output and "Traceback" not in output


def test_board_plan_ranks_on_data_when_given(tmp_path: Path) -> None:
    model = PROJECT_ROOT / "models" / "cnn4_mnist.onnx"
    out = tmp_path / "plan.json"
    code, output = _plan([str(model), "--board", "nucleo-f446re", "--data", "mnist",
                          "-o", str(out)])
    assert code == 0, output
    ranking = json.loads((tmp_path / "plan.ranking.json").read_text())
    assert ranking["format"] == "medyate-ranking/1"
    doc = json.loads(out.read_text())
    from medyate.host_tools.selection.default_method import DEFAULT_LAYER_METHOD
    assert doc["selection"]["method"] == DEFAULT_LAYER_METHOD
    predicted = doc["memory"]["predicted"]
    assert predicted["sram_bytes"] <= 128 * 1024


@pytest.mark.parametrize("policy", ["full", "last-layer", "bias-only", "sparse-update", "neq"])
def test_every_policy_gets_a_board_plan_that_fits(tmp_path: Path, policy: str) -> None:
    out = tmp_path / "plan.json"
    code, output = _plan([str(MBV2), "--board", "nucleo-f446re", "--policy", policy,
                          "-o", str(out)])
    assert code == 0, output
    doc = json.loads(out.read_text())
    assert doc["policy"] == policy and doc["layers"]
    graph = load_graph(MBV2)
    predicted = predict_plan(graph, Plan.from_dict(doc))
    assert predicted.sram_bytes <= 128 * 1024
    if policy == "full":          # every channel and bias of its layers: the budget pays them
        assert doc["budget_bytes"] >= doc["accounting"]["channel_pool_bytes"]
