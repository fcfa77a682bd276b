"""`medyate import MODEL.onnx`."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from medyate.codegen.frontend import load_graph
from medyate.codegen.summary import summarize, totals


def run_import(model: Path) -> None:
    graph = load_graph(model)
    rows = summarize(graph)
    console = Console(width=160, markup=False)   # ONNX names are not rich markup
    table = Table(title=f"{model.name}: input {graph.tensors[graph.input].shape} "
                        f"(batch {graph.fixed_batch or 'symbolic'}), opset {graph.opset}")
    for column in ("#", "node", "op", "output", "params", "MACs", "trainable weight",
                   "channels", "B/channel"):
        table.add_column(column, overflow="fold")
    for i, r in enumerate(rows):
        table.add_row(str(i), r.name, r.op, "x".join(map(str, r.out_shape)), f"{r.params:,}",
                      f"{r.macs:,}", r.trainable, str(r.channels or ""),
                      f"{r.channel_cost:,}" if r.channel_cost else "")
    console.print(table)
    t = totals(rows)
    tail = f"; dropped for training: {', '.join(x['op'] for x in graph.tail)}" if graph.tail else ""
    console.print(f"{t['params']:,} parameters, {t['macs']:,} MACs per sample, "
                  f"{t['trainable_layers']} trainable Conv/Gemm layers, "
                  f"{graph.tensors[graph.output].size} outputs{tail}")
