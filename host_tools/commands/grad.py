"""`medyate grad`: gradients of the mean loss over a batch, on any target."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from medyate.codegen.compression_c import device_compression_stats
from medyate.codegen.errors import DataError, MedyateError
from medyate.codegen.formats import data as data_format
from medyate.codegen.frontend import load_graph
from medyate.codegen.ir import Graph
from medyate.codegen.gradients import check_batch, run_reference_batch
from medyate.codegen.plan import Plan, Schedule, resolve_layers
from medyate.codegen.quantize import apply_frozen, frozen_choice
from medyate.host_tools.selection.compression_budget import compression_config
from medyate.host_tools.device.targets import grad_target


def load_batch(inputs: Path, labels: Path, graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """--inputs (N, C, H, W) finite numbers and --labels (N,) classes of the model, both
    .npy (codegen/formats/data.py): NaN/inf inputs are refused before any work."""
    x = data_format.load_array(inputs, "inputs")
    y = data_format.load_array(labels, "labels")
    x = data_format.check_images(x, f"inputs {inputs}", ndim=None)
    x, y = check_batch(graph, x, y)        # shapes and label range against the model
    return x, data_format.check_labels(y, x.shape[0], f"labels {labels}",
                                       graph.tensors[graph.output].size)


def run_grad(model: Path, plan_path: Path, schedule_path: Path | None, inputs: Path,
             labels: Path, target: str, output: Path, *, compress: str | None = None,
             eps: float = 0.9, rank: int | None = None, board: str | None = None,
             port: str | None = None, baud: int | None = None, frozen: str | None = None) -> None:
    """board/port/baud: device targets only (limits on QEMU, the board on serial).
    frozen int8: the frozen prefix quantized, calibrated on the --inputs batch."""
    compute = grad_target(target)
    device = {k: v for k, v in (("board", board), ("port", port), ("baud", baud)) if v is not None}
    if device and target in ("reference", "host"):
        raise MedyateError(f"--board/--port/--baud apply to device targets, not {target!r}")
    graph = load_graph(model)
    plan = Plan.load(plan_path)
    config = compression_config(compress, eps, rank, plan)   # options, else the plan's entry
    layers = resolve_layers(graph, plan)
    schedule = Schedule.load(schedule_path) if schedule_path else Schedule.full(layers)
    schedule.for_layers(layers)           # validate before any work
    x, y = load_batch(inputs, labels, graph)
    frozen = frozen_choice(frozen, plan)
    if frozen == "int8":
        check_batch(graph, x, y)
        graph = apply_frozen(graph, plan, frozen, x)
        layers = resolve_layers(graph, plan)
        print(f"frozen layers: int8 ({sum(n.op.startswith('q') for n in graph.nodes)} int8 ops, "
              f"calibrated on the {len(x)} inputs)")
    stats: dict[str, dict[str, object]] = {}
    if config is not None and target == "reference":
        result, executor = run_reference_batch(graph, layers, schedule, x, y, compress=config)
        stats = executor.compression_stats()
    elif config is not None:
        usage: dict[int, tuple[int, int, int]] = {}     # filled by the host target only
        result = compute(model=model, graph=graph, plan=plan, layers=layers,
                         schedule=schedule, x=x, y=y, compress=config, usage=usage, **device)
        stats = device_compression_stats(graph, layers, schedule, config, usage or None)
    else:
        result = compute(model=model, graph=graph, plan=plan, layers=layers,
                         schedule=schedule, x=x, y=y, **device)
    try:
        np.savez(output, **result)
    except OSError as exc:
        raise MedyateError(f"cannot write {output}: {exc}") from None
    print(f"loss {float(result['loss']):.6f} over {x.shape[0]} samples; "
          f"{len(result) - 2} gradients written to {output}")
    if stats:
        raw = sum(int(s["raw_bytes"]) for s in stats.values())        # type: ignore[call-overload]
        peak = sum(int(s["peak_bytes"]) for s in stats.values())      # type: ignore[call-overload]
        print(f"{compress} activations: {peak} B at peak per sample (sum of per-layer peaks) "
              f"instead of {raw} B raw over {len(stats)} layers")
        reserved = sum(int(s.get("reserved_bytes", 0)) for s in stats.values())  # type: ignore[call-overload]
        if reserved:
            print(f"{compress} pool reservation on the device: {reserved} B "
                  f"(svd/hosvd: full ranks, the worst case)")
