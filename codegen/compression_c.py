"""Device-side (generated C) sizes of the `asi` compressed saved activations.

The block of one sample for one plan layer is (n_sel, H, W) (a gemm input is
(n_sel, 1, 1)); at run time the generated `model_set_schedule` caps the configured ranks
at the block's mode sizes and lays the factors out in the channel pool:

    stored floats = k1*k2*k3 + n_sel*k1 + H*k2 + W*k3        (hosvd_floats)

The scratch ("work") of the C kernels lives in arena storages alive only during the
layer's save / weight_grad step; its sizes mirror the kernels' *_scratch_size()
companions (tests compare them through ctypes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .compression import CompressionConfig, hosvd_floats
from .errors import MedyateError
from .ir import Graph
from .plan import FLOAT_BYTES, Schedule, TrainLayer

#: methods whose ranks the device picks per sample from the data (eps rule): the pool
#: reserves their worst case (full ranks)
EPS_METHODS = ("svd", "hosvd")
#: Jacobi sweeps of mdy_sym_eig_jacobi_f32 (cyclic Jacobi converges quadratically:
#: 6-10 sweeps reach float32 precision on these sizes; the bound only caps the time)
JACOBI_SWEEPS = 30


def block_ranks(ranks: tuple[int, int, int], n_sel: int, h: int, w: int) -> tuple[int, int, int]:
    """The configured ranks capped at the block's mode sizes (all 0 for an empty block)."""
    if n_sel == 0:
        return (0, 0, 0)
    return (min(ranks[0], n_sel), min(ranks[1], h), min(ranks[2], w))


def subspace_iter_scratch_floats(rows: int, k: int) -> int:
    return rows * k + k


def eig_factor_scratch_floats(rows: int) -> int:
    """mdy_eig_factor_f32: the Gram matrix, its eigenvectors and eigenvalues."""
    return 2 * rows * rows + rows


def tucker_core_scratch_floats(h: int, k2: int, k3: int) -> int:
    return h * k3 + k2 * k3


def conv_grad_scratch_floats(out_w: int, k_h: int, k_w: int, k: tuple[int, int, int]) -> int:
    return k[1] * out_w + k[1] * k[2] + k[0] * k_h * k_w


@dataclass(frozen=True)
class CompressedLayer:
    """One plan layer's compressed block as the generated C holds it. asi: fixed ranks;
    svd/hosvd: `ranks` are the full mode sizes (the pool reserves the worst case), the
    device picks the actual ranks per sample (mdy_eig_factor_f32). svd reuses the
    Tucker path with identity height/width factors stored at full rank."""

    layer: TrainLayer
    ranks: tuple[int, int, int]            # configured (uncapped) ranks
    h: int
    w: int
    grad_geometry: tuple[int, int, int] | None   # conv (out_w, k_h, k_w); None for gemm
    method: str = "asi"
    eps: float = 1.0

    def used_floats(self, n_sel: int, ranks: tuple[int, int, int]) -> int:
        """Floats the C holds for one sample whose block got `ranks` (svd: identity
        spatial factors, ranks (K, h, w))."""
        return hosvd_floats((n_sel, self.h, self.w), ranks)

    def stored_floats(self, n_sel: int) -> int:
        return hosvd_floats((n_sel, self.h, self.w), block_ranks(self.ranks, n_sel, self.h, self.w))

    def raw_floats(self, n_sel: int) -> int:
        return n_sel * self.h * self.w

    def pool_bytes(self, n_sel: int) -> int:
        """Pool bytes of n_sel scheduled channels: the factors + core and the raw slices."""
        return FLOAT_BYTES * (self.stored_floats(n_sel) + n_sel * self.layer.slice_elems)

    def save_work_floats(self, n_sel: int) -> int:
        k = block_ranks(self.ranks, n_sel, self.h, self.w)
        if n_sel == 0:
            return 0
        if self.method in EPS_METHODS:
            modes = (n_sel,) if self.method == "svd" else (n_sel, self.h, self.w)
            return max([eig_factor_scratch_floats(rows) for rows in modes]
                       + [tucker_core_scratch_floats(self.h, k[1], k[2])])
        return max(subspace_iter_scratch_floats(n_sel, k[0]),
                   subspace_iter_scratch_floats(self.h, k[1]),
                   subspace_iter_scratch_floats(self.w, k[2]),
                   tucker_core_scratch_floats(self.h, k[1], k[2]))

    def grad_work_floats(self, n_sel: int) -> int:
        if self.grad_geometry is None or n_sel == 0:
            return 0
        return conv_grad_scratch_floats(*self.grad_geometry,
                                        block_ranks(self.ranks, n_sel, self.h, self.w))

    def summary(self) -> dict[str, object]:
        """memory.json entry, every channel scheduled (the largest block)."""
        n = self.layer.in_channels
        return {"weight": self.layer.onnx_weight, "method": self.method,
                "ranks": list(block_ranks(self.ranks, n, self.h, self.w)),
                "block_shape": [n, self.h, self.w],
                "compressed_bytes": FLOAT_BYTES * self.stored_floats(n),
                "raw_bytes_replaced": FLOAT_BYTES * self.raw_floats(n),
                "saved_bytes": FLOAT_BYTES * (self.raw_floats(n) - self.stored_floats(n)),
                "save_work_bytes": FLOAT_BYTES * self.save_work_floats(n),
                "grad_work_bytes": FLOAT_BYTES * self.grad_work_floats(n),
                "work_bytes": FLOAT_BYTES * max(self.save_work_floats(n), self.grad_work_floats(n))}


def config_key(config: CompressionConfig | None) -> str:
    """A stable text of the config (part of the model hash: a different compression is a
    different model image)."""
    if config is None:
        return ""
    return json.dumps({"method": config.method, "eps": config.eps, "rank": config.rank,
                       "layer_ranks": {k: list(v) for k, v in sorted(config.layer_ranks.items())},
                       "iterations": config.iterations,
                       "layers": sorted(config.layers) if config.layers is not None else None})


def compressed_layers(graph: Graph, layers: list[TrainLayer],
                      config: CompressionConfig | None) -> dict[int, CompressedLayer]:
    """Layer index -> its compressed block, for the layers the config compresses."""
    if config is None:
        return {}
    out: dict[int, CompressedLayer] = {}
    for layer in layers:
        # a gemm input is a vector (n_sel, 1, 1): its Tucker form (n_sel*k1 + k1 + 2 floats)
        # is never smaller than the n_sel raw floats, and rank 1 already reproduces it
        # exactly (so the reference's compressed gradient is the raw one), so it stays raw
        if not config.applies_to(layer) or layer.kind != "conv":
            continue
        shape = tuple(graph.tensors[layer.input].shape)
        h, w = (int(shape[1]), int(shape[2])) if len(shape) == 3 else (1, 1)
        geometry = None
        if layer.kind == "conv":
            k = graph.tensors[layer.weight].shape
            geometry = (int(graph.tensors[layer.node.outputs[0]].shape[2]), int(k[2]), int(k[3]))
        if config.method in EPS_METHODS:
            out[layer.index] = CompressedLayer(layer, (layer.in_channels, h, w), h, w, geometry,
                                               config.method, config.eps)
            continue
        ranks = tuple(int(r) for r in config.asi_ranks(layer))
        if len(ranks) != 3 or min(ranks) < 1:
            raise MedyateError(f"asi ranks of '{layer.onnx_weight}' must be 3 positive integers")
        out[layer.index] = CompressedLayer(layer, ranks, h, w, geometry)  # type: ignore[arg-type]
    return out


def schedule_pool_bytes(layers: list[TrainLayer], counts: list[int],
                        compressed: dict[int, CompressedLayer]) -> int:
    """Pool bytes a schedule needs (what model_set_schedule checks against the pool)."""
    total = 0
    for layer, n in zip(layers, counts):
        block = compressed.get(layer.index)
        total += block.pool_bytes(n) if block else n * layer.channel_cost_bytes
    return int(total)


def full_pool_bytes(layers: list[TrainLayer], compressed: dict[int, CompressedLayer]) -> int:
    return schedule_pool_bytes(layers, [l.in_channels for l in layers], compressed)


def raw_vs_compressed(summary: list[dict[str, object]]) -> tuple[int, int]:
    raw = int(np.sum([int(s["raw_bytes_replaced"]) for s in summary]))  # type: ignore[call-overload]
    comp = int(np.sum([int(s["compressed_bytes"]) for s in summary]))  # type: ignore[call-overload]
    return raw, comp


def device_compression_stats(graph: Graph, layers: list[TrainLayer], schedule: Schedule,
                             config: CompressionConfig,
                             usage: dict[int, tuple[int, int, int]] | None = None
                             ) -> dict[str, dict[str, object]]:
    """Per compressed layer, the bytes the generated C holds for this schedule, in the
    form of ReferenceExecutor.compression_stats(). `reserved_bytes`: what the pool lays
    out (asi: fixed ranks; svd/hosvd: the full-rank worst case). peak/mean: with `usage`
    (layer index -> (samples, peak floats, sum of floats) counted by the C), the bytes
    actually used per sample; without it, the reserved bytes (exact for asi only)."""
    compressed = compressed_layers(graph, layers, config)
    out: dict[str, dict[str, object]] = {}
    for layer, channels in zip(layers, schedule.for_layers(layers)):
        block = compressed.get(layer.index)
        if block is None:
            continue
        n = len(channels)
        stored = FLOAT_BYTES * block.stored_floats(n)
        peak, mean, source = stored, float(stored), "reserved"
        if usage is not None and usage.get(layer.index, (0, 0, 0))[0] > 0:
            samples, peak_floats, sum_floats = usage[layer.index]
            peak, mean, source = FLOAT_BYTES * peak_floats, FLOAT_BYTES * sum_floats / samples, "counted by the C"
        out[layer.onnx_weight] = {
            "method": config.method, "raw_bytes": FLOAT_BYTES * block.raw_floats(n),
            "reserved_bytes": stored, "bytes_source": source,
            "peak_bytes": peak, "mean_bytes": mean,
            "peak_work_bytes": FLOAT_BYTES * max(block.save_work_floats(n), block.grad_work_floats(n)),
            "peak_ranks": list(block_ranks(block.ranks, n, block.h, block.w))}
    return out
