"""Calibration of the whole-device memory prediction (device_memory.py): build firmware
for the shipped models and plans, read the linked regions, fit the fixed parts and
store them in device_memory_calibration.json.

Rerun: ``python -m medyate.host_tools.selection.memory_calibration`` (or the older
``python -m medyate.host_tools.selection.device_memory``, which calls main() here).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

from medyate.codegen.plan import Plan, resolve_layers
from medyate.host_tools.selection.device_memory import (CALIBRATION_FILE, Calibration, model_facts,
                                                      predict)
from medyate.host_tools.selection.memory_report import linked_breakdown


# -------------------------------------------------------------------- calibration
def calibrate(cases: Iterable[tuple[Path, Plan, str]], target: str = "qemu-mps2-an386",
              margin_bytes: int = 256) -> Calibration:
    """Build firmware for each (model, plan, frozen dtype), read the linked regions and
    fit the fixed parts: runtime statics and app frames as their largest residual
    (+ margin), code as a line in the number of generated steps plus a term per conv
    gradient kernel called (fp32 builds) shifted up to bound every build, plus what int8
    builds need beyond that line."""
    import tempfile

    import numpy as np

    from medyate.codegen.frontend import load_graph
    from medyate.codegen.quantize import apply_frozen
    from medyate.host_tools.device.device_model import build_device_model

    zero = Calibration(0, 0, 0, 0.0, 0)
    builds = []
    for model, plan, frozen in cases:
        graph = load_graph(model)
        shape = (8,) + tuple(graph.tensors[graph.input].shape)
        calibration_x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        emitted = apply_frozen(graph, plan, frozen, calibration_x)   # sizes: data-independent
        with tempfile.TemporaryDirectory():
            built = build_device_model(target, model, plan, emitted, allow_full_memory=True)
        linked = linked_breakdown(built.build.artifact)
        layers = resolve_layers(graph, plan)
        facts = model_facts(graph, layers, built.memory["channel_pool_bytes"], frozen)
        formula = predict(facts, frozen=frozen, calibration=zero).regions
        assert formula["arena"] == linked.regions["arena"], (model, formula["arena"], linked.regions["arena"])
        builds.append({
            "model": model.name, "frozen": frozen, "layers": len(layers), "steps": facts.steps,
            "float_conv": facts.float_conv,
            "pool_bytes": facts.pool_bytes, "linked": linked.regions,
            "runtime_static_residual": linked.regions["runtime_static"],
            "app_residual": linked.regions["app_buffers"] - formula["app_buffers"],
            "gradient_residual": linked.regions["gradient_buffers"] - formula["gradient_buffers"],
            "code": linked.regions["code"], "kxk_grad_kinds": facts.kxk_grad_kinds,
        })
    fp32 = [b for b in builds if b["frozen"] == "fp32" and b["float_conv"]]
    steps = np.array([b["steps"] for b in fp32], dtype=float)
    kinds = np.array([b["kxk_grad_kinds"] for b in fp32], dtype=float)
    code = np.array([b["code"] for b in fp32], dtype=float)
    # code ~ base + slope * steps + per_kind * kinds (least squares: each conv gradient
    # kernel the program calls links its fast paths), then the base shifted up so that
    # every calibration build is bounded
    columns = [np.ones_like(steps)]
    if len(set(steps)) > 1:
        columns.append(steps)
    if len(set(kinds)) > 1:
        columns.append(kinds)
    coef = np.linalg.lstsq(np.stack(columns, axis=1), code, rcond=None)[0]
    slope = max(float(coef[1]), 0.0) if len(set(steps)) > 1 else 0.0
    per_kind = max(float(coef[-1]), 0.0) if len(set(kinds)) > 1 else 0.0

    def fitted(b: dict[str, Any]) -> float:
        return slope * b["steps"] + per_kind * b["kxk_grad_kinds"]

    base = float(np.max(code - slope * steps - per_kind * kinds))
    int8_extra = max([b["code"] - (base + fitted(b)) for b in builds
                      if b["frozen"] == "int8" and b["float_conv"]] + [0.0])
    # without a float conv: one base over those builds (int8 ones: their kernels included)
    no_conv = [b["code"] - fitted(b) for b in builds if not b["float_conv"]]
    padding = max(0, max(b["gradient_residual"] for b in builds))
    per_layer = int(math.ceil(padding / max(5 * min(b["layers"] for b in builds), 1))) + 4
    return Calibration(
        runtime_static_bytes=max(b["runtime_static_residual"] for b in builds) + margin_bytes,
        app_fixed_bytes=max(b["app_residual"] for b in builds) + 16,
        # 12 margins: the fit sees two shipped models; other models link other fast paths
        # (zoo builds linked up to 632 B more code than 4 margins covered, 352 B more than 8)
        code_base_bytes=int(math.ceil(base)) + 12 * margin_bytes,
        code_per_step_bytes=round(slope, 3), padding_per_layer_bytes=per_layer,
        code_per_kxk_grad_bytes=round(per_kind, 3),
        stack_bytes=max(b["linked"]["stack"] for b in builds),
        code_int8_bytes=int(math.ceil(int8_extra)) + margin_bytes,
        code_base_no_float_conv_bytes=(int(math.ceil(max(no_conv))) + 12 * margin_bytes
                                       if no_conv else None),
        builds=tuple(builds))


def save_calibration(cal: Calibration, path: Path = CALIBRATION_FILE) -> None:
    data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in cal.__dict__.items()}
    path.write_text(json.dumps(data, indent=1) + "\n")


def _calibration_cases() -> list[tuple[Path, Plan, str]]:
    """The shipped models, each with its deepest layers and with every layer (fp32), and
    with their deepest layers over an int8 backbone."""
    from medyate.codegen.frontend import load_graph
    from medyate.host_tools.device.firmware_build import REPO_ROOT

    cases = []
    for name in ("cnn4_mnist", "mbv2_mnist"):
        model = REPO_ROOT / "models" / f"{name}.onnx"
        full = Plan.all_layers(load_graph(model), 32 * 1024)
        deepest = Plan(8 * 1024, full.layers[-2:])
        cases.append((model, full, "fp32"))
        cases.append((model, deepest, "fp32"))
        cases.append((model, Plan(16 * 1024, [dict(l, bias=False) for l in full.layers[-4:]]), "fp32"))
        cases.append((model, deepest, "int8"))
        cases.append((model, Plan(16 * 1024, full.layers[-1:]), "int8"))
    return cases



def main() -> None:
    """Rebuild the calibration builds, rewrite the JSON and print the fitted numbers."""
    calibration = calibrate(_calibration_cases())
    save_calibration(calibration)
    print(json.dumps({k: v for k, v in calibration.__dict__.items() if k != "builds"}, indent=1))


if __name__ == "__main__":       # python -m medyate.host_tools.selection.memory_calibration
    main()
