"""`medyate compile`: ONNX + plan -> OUTDIR/{model.c, model.h, memory.json}."""
from __future__ import annotations

import json
from pathlib import Path

from .compression import CompressionConfig
from .compression_c import compressed_layers, config_key
from .emit_c import GeneratedModel, generate, model_hash, pool_bytes_for
from .frontend import load_graph
from .ir import Graph
from .plan import Plan, TrainLayer, resolve_layers
from .quantize import quant_key


def compile_model(model: Path, plan: Plan, outdir: Path, *, pool_bytes: int | None = None,
                  graph: Graph | None = None, compress: CompressionConfig | None = None
                  ) -> tuple[GeneratedModel, list[TrainLayer]]:
    """compress: asi-compressed saved activations (CompressionConfig; ranks per layer)."""
    graph = graph or load_graph(model)
    layers = resolve_layers(graph, plan)
    compressed = compressed_layers(graph, layers, compress)
    pool = pool_bytes if pool_bytes is not None else pool_bytes_for(layers, plan.budget_bytes,
                                                                    compressed)
    plan_text = json.dumps(plan.to_dict(), sort_keys=True) + config_key(compress) + quant_key(graph)
    digest = model_hash(Path(model).read_bytes(), plan_text, pool)
    generated = generate(graph, layers, pool_bytes=pool, model_name=Path(model).name,
                         model_hash_hex=digest, compress=compress)
    outdir.mkdir(parents=True, exist_ok=True)
    _write_if_changed(outdir / "model.c", generated.model_c)
    _write_if_changed(outdir / "model.h", generated.model_h)
    memory = dict(generated.memory, model_hash=digest, budget_bytes=plan.budget_bytes)
    (outdir / "memory.json").write_text(json.dumps(memory, indent=1))
    return generated, layers


def _write_if_changed(path: Path, text: str) -> None:
    """Keep mtimes of unchanged sources so incremental builds stay incremental."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
