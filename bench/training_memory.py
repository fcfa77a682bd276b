"""Training SRAM of the sparse board plan vs full fine-tuning, per model, as a ratio.

Sparse: `plan --board BOARD --budget B` (no ranking: the deepest third of the layers,
fewer if they do not fit; a channel budget B, 16 KiB by default: without --budget the
plan grows the pool to fill the board, which measures the board, not the method). Full fine-tuning of the same model: every layer and every bias trainable,
every channel in the pool, float weights in RAM. Both with the same runtime/app, so the
figures are whole-device SRAM (arena incl. channel pool + trainable weights + gradient
buffers + app buffers + runtime statics + stack reserve), predicted by
host_tools/selection/device_memory.py (an upper bound of the linked image, tested against it);
`--link` also links both firmwares (qemu-mps2-an386, the emulator's whole memory so
full fine-tuning links too) and prints the linked SRAM (.data + .bss + stack reserve).
"training state" = arena + trainable weights + gradient buffers: what training adds to
inference-only firmware, the part MIT's tiny-training's ~20x compares. The "int8:"
columns plan the same sparse method with the frozen layers below the plan in int8
(`--frozen int8`: int8 activations and weights, the input staged as int8) even where fp32
would fit.

    python bench/training_memory.py [--board stm32f746g-disco] [--budget 16KiB] [--link] [MODEL.onnx ...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from medyate.codegen.errors import MedyateError  # noqa: E402
from medyate.codegen.frontend import load_graph  # noqa: E402
from medyate.codegen.plan import Plan  # noqa: E402
from medyate.host_tools.selection.board_plan import plan_for_board  # noqa: E402
from medyate.host_tools.device.boards import get_board  # noqa: E402
from medyate.host_tools.selection.budget import parse_budget  # noqa: E402
from medyate.host_tools.selection.device_memory import Breakdown, predict_plan  # noqa: E402
from medyate.host_tools.selection.memory_report import linked_breakdown  # noqa: E402
from medyate.host_tools.selection.ranking import all_layers, layer_specs  # noqa: E402

STATE = ("arena", "trainable_weights", "gradient_buffers")


def _state(b: Breakdown) -> int:
    return sum(b.regions[r] for r in STATE)


def _linked_sram(model: Path, plan: Plan, frozen: str = "fp32") -> int | None:
    import numpy as np

    from medyate.codegen.quantize import apply_frozen
    from medyate.host_tools.device.device_model import build_device_model
    graph = load_graph(model)
    shape = (8,) + tuple(graph.tensors[graph.input].shape)
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)   # sizes only
    try:
        built = build_device_model("qemu-mps2-an386", model, plan, apply_frozen(graph, plan, frozen, x),
                                   allow_full_memory=True)
    except MedyateError:
        return None
    return linked_breakdown(built.build.artifact).sram_bytes


def measure(model: Path, board_name: str, budget: int, link: bool) -> list[str]:
    graph = load_graph(model)
    specs = layer_specs(graph, all_layers(graph))
    board = get_board(board_name)
    full_plan = Plan.all_layers(graph, 0)               # budget 0: every channel
    full = predict_plan(graph, full_plan)
    try:
        sparse_doc = plan_for_board(graph, specs, board, budget=budget, frozen="fp32", stats=None,
                                    batch_stats=None, policy="medyate", method="rgn", seed=0)
    except MedyateError:
        sparse_doc = None
    if sparse_doc is None:                              # flash-bound in fp32: int8 backbone
        sparse_doc = plan_for_board(graph, specs, board, budget=budget, frozen="int8", stats=None,
                                    batch_stats=None, policy="medyate", method="rgn", seed=0)
        frozen, dtype = "int8 (fp32 does not fit)", "int8"
    else:
        frozen, dtype = "fp32", "fp32"
    doc = sparse_doc.document
    sparse = sparse_doc.breakdown
    params = sum(int(graph.tensors[n.inputs[1]].size) for n in graph.trainable_layers())
    # the same sparse method with every frozen layer below the plan in int8 (as MIT's
    # tiny-training runs its backbone), whether or not fp32 would fit
    try:
        int8_doc = plan_for_board(graph, specs, board, budget=budget, frozen="int8", stats=None,
                                  batch_stats=None, policy="medyate", method="rgn", seed=0)
        int8_cells = [f"{len(int8_doc.document['layers'])}/{len(specs)}",
                      f"{int8_doc.breakdown.sram_bytes:,}",
                      f"{full.sram_bytes / int8_doc.breakdown.sram_bytes:.1f}x"]
    except MedyateError:
        int8_cells = ["-", "does not fit", "-"]
    cells = [model.stem, f"{params:,}", f"{len(doc['layers'])}/{len(specs)}",
             f"{doc['budget_bytes']:,}", frozen,
             f"{sparse.sram_bytes:,}", f"{full.sram_bytes:,}",
             f"{full.sram_bytes / sparse.sram_bytes:.1f}x",
             f"{_state(full) / _state(sparse):.1f}x", *int8_cells]
    if link:
        linked_sparse = _linked_sram(model, Plan(doc["budget_bytes"], doc["layers"]), dtype)
        linked_full = _linked_sram(model, full_plan)
        cells += [f"{linked_sparse:,}" if linked_sparse else "-",
                  f"{linked_full:,}" if linked_full else "does not link in 4 MiB",
                  f"{linked_full / linked_sparse:.1f}x" if linked_full and linked_sparse else "-"]
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--board", default="stm32f746g-disco")
    parser.add_argument("--budget", default="16KiB", help="channel budget of the sparse plan")
    parser.add_argument("--link", action="store_true", help="also link both firmwares")
    args = parser.parse_args()
    models = list(args.models) or sorted((ROOT / "models").glob("*_mnist.onnx"))
    if not args.models:
        import zoo
        tmp = Path(tempfile.mkdtemp(prefix="medyate-bench-"))
        names = [name for name, _, _ in zoo.zoo_models() if name != "plain_cnn_softmax"]
        models += [zoo.exported(name, "torchscript", False, tmp)
                   for name in names + ["mcunet_48", "mbv2_w035_32", "mbv2_w035_96"]]
    table = Table(title=f"training SRAM: sparse plan for {args.board} vs full fine-tuning "
                        f"(predicted whole-device bytes)")
    for column in ("model", "params", "layers", "budget", "frozen", "sparse SRAM",
                   "full FT SRAM", "ratio", "ratio (training state)", "int8: layers",
                   "int8: sparse SRAM", "int8: ratio"):
        table.add_column(column, justify="left" if column in ("model", "frozen") else "right")
    if args.link:
        for column in ("sparse linked", "full FT linked", "linked ratio"):
            table.add_column(column, justify="right")
    for model in models:
        table.add_row(*measure(model, args.board, parse_budget(args.budget), args.link))
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
