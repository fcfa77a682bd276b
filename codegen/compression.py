"""Compressed saved activations (arXiv 2411.06346 and its fixed-rank follow-up "ASI").

The block. The device streams one sample at a time, so the block compressed is the saved
activation of ONE sample for ONE plan layer: the (n_sel, H, W) planes of the scheduled
input channels (3 modes: channel, height, width). A Gemm layer's block is its (n_sel,)
feature vector seen as (n_sel, 1, 1). The block is decomposed as a Tucker tensor

    A ~= S x1 U1 x2 U2 x3 U3      S: (K1, K2, K3), U1: (n_sel, K1), U2: (H, K2), U3: (W, K3)

  * ``hosvd``: every mode has a factor; K_n is the smallest rank whose explained variance
    (sum of the leading squared singular values of the mode-n unfolding over their total)
    reaches eps. Stored floats K1*K2*K3 + n_sel*K1 + H*K2 + W*K3.
  * ``svd``: the channel-mode unfolding (n_sel x H*W) truncated by the same eps rule; in
    Tucker form only U1 is stored and modes 2, 3 are the identity (not stored), so the
    core is the (K, H, W) tensor U1^T A. Stored floats K*(n_sel + H*W).
  * ``asi``: fixed ranks (chosen offline: per layer or one rank for every mode, capped at
    the mode size); each mode's factor is refreshed by a few warm-started orthogonal
    (subspace) iterations on the new block, starting from the previous sample's factor.
    No SVD at run time; only matrix products and a thin QR. Same memory as hosvd.

The conv weight gradient is computed from the factors without rebuilding A (the paper's
Z-path): the spatial factors are windowed ("padded") by the convolution geometry, dY is
contracted with them, then with the core, and the channel factor comes last. It equals the
exact weight gradient on the reconstructed activation (the decomposition is the only
approximation). Gemm layers reconstruct their (n_sel,) vector: it is tiny.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import MedyateError
from .ir import Node
from .ops.conv import conv_weight_grad_slices
from .ops.gemm import gemm_weight_grad_slices
from .plan import FLOAT_BYTES, TrainLayer

METHODS = ("svd", "hosvd", "asi")


@dataclass
class Tucker:
    """A compressed block. factors[n] is None where mode n is the identity (not stored)."""

    core: np.ndarray
    factors: list[np.ndarray | None]
    shape: tuple[int, int, int]

    @property
    def ranks(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.core.shape)

    @property
    def stored_floats(self) -> int:
        """Floats actually held between the forward save and the weight gradient."""
        return int(self.core.size + sum(f.size for f in self.factors if f is not None))

    def reconstruct(self) -> np.ndarray:
        a = self.core
        for mode, u in enumerate(self.factors):
            if u is not None:
                a = mode_product(a, u, mode)
        return a


def mode_product(t: np.ndarray, m: np.ndarray, mode: int) -> np.ndarray:
    """t x_mode m: contracts mode `mode` of t (size m.shape[1]) with the columns of m."""
    return np.moveaxis(np.tensordot(m, t, axes=(1, mode)), 0, mode)


def unfold(t: np.ndarray, mode: int) -> np.ndarray:
    return np.moveaxis(t, mode, 0).reshape(t.shape[mode], -1)


def rank_for_eps(singular_values: np.ndarray, eps: float) -> int:
    """Smallest K with sum_{i<K} s_i^2 / sum s_i^2 >= eps (0 for an all-zero block)."""
    energy = np.cumsum(np.asarray(singular_values, dtype=np.float64) ** 2)
    if energy.size == 0 or energy[-1] <= 0.0:
        return 0
    ratio = energy / energy[-1]
    # 1e-12 slack: with eps = 1 the last ratio is 1 up to rounding of the cumulative sum
    return int(min(np.searchsorted(ratio, eps - 1e-12) + 1, energy.size))


def leading_factor(a: np.ndarray, mode: int, eps: float) -> np.ndarray:
    u, s, _ = np.linalg.svd(unfold(a, mode), full_matrices=False)
    return u[:, :rank_for_eps(s, eps)]


def project(a: np.ndarray, factors: list[np.ndarray | None]) -> np.ndarray:
    """Core S = A x_n U_n^T over the modes that have a factor."""
    core = a
    for mode, u in enumerate(factors):
        if u is not None:
            core = mode_product(core, u.T, mode)
    return core


def hosvd(a: np.ndarray, eps: float) -> Tucker:
    factors: list[np.ndarray | None] = [leading_factor(a, mode, eps) for mode in range(a.ndim)]
    return Tucker(project(a, factors), factors, a.shape)


def svd(a: np.ndarray, eps: float) -> Tucker:
    factors: list[np.ndarray | None] = [leading_factor(a, 0, eps), None, None]
    return Tucker(project(a, factors), factors, a.shape)


#: a column keeping at most this fraction of its norm after orthogonalisation is replaced
MGS_KEEP = 1e-3


def orthonormalize(u: np.ndarray) -> np.ndarray:
    """Modified Gram-Schmidt of the columns of u (rows x K, K <= rows), each column
    orthogonalised twice; a column keeping <= MGS_KEEP of its norm (rank-deficient block)
    is replaced by the first unit vector whose residual has squared norm > 0.5 / rows.
    The same algorithm as the C kernel mdy_orthonormalize_f32, so both sides pick the
    same basis, not merely the same span."""
    q = np.array(u, dtype=np.float64, copy=True)
    rows, k = q.shape

    def residual(v: np.ndarray, col: int) -> np.ndarray:
        for _ in range(2):
            for prev in range(col):
                v = v - (q[:, prev] @ v) * q[:, prev]
        return v

    for col in range(k):
        before = float(np.linalg.norm(q[:, col]))
        v = residual(q[:, col], col)
        norm = float(np.linalg.norm(v))
        if before == 0.0 or norm <= MGS_KEEP * before:
            for unit in range(rows):
                v = residual(np.eye(rows)[unit], col)
                norm = float(np.linalg.norm(v))
                if norm * norm > 0.5 / rows:
                    break
        q[:, col] = v / norm
    return q


def start_values(rows: int, rank: int, seed: int) -> np.ndarray:
    """(h >> 8) * 2^-24 - 0.5 of a 32-bit hash of (row, column, seed): the numbers the C
    kernel mdy_orthonormal_start_f32 computes (exact in float32)."""
    r = np.arange(rows, dtype=np.uint64)[:, None]
    c = np.arange(rank, dtype=np.uint64)[None, :]
    mask = np.uint64(0xFFFFFFFF)
    h = ((r * np.uint64(73856093)) & mask) ^ ((c * np.uint64(19349663)) & mask) \
        ^ np.uint64(((seed + 1) * 83492791) & 0xFFFFFFFF)
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0x5BD1E995)) & mask
    h ^= h >> np.uint64(15)
    return (h >> np.uint64(8)).astype(np.float64) * 2.0 ** -24 - 0.5


def orthonormal_start(rows: int, rank: int, seed: int = 0) -> np.ndarray:
    """The deterministic warm start of a fresh factor (same as the generated C)."""
    return orthonormalize(start_values(rows, rank, seed))


def subspace_iteration(matrix: np.ndarray, basis: np.ndarray, iterations: int) -> np.ndarray:
    """Orthogonal iteration on matrix @ matrix.T, warm-started from `basis` (rows x K):
    converges to the leading K left singular vectors at rate (s_{K+1}/s_K)^2 per step."""
    for _ in range(iterations):
        basis = orthonormalize(matrix @ (matrix.T @ basis))
    return basis


def asi(a: np.ndarray, ranks: tuple[int, int, int], previous: list[np.ndarray] | None,
        iterations: int) -> Tucker:
    factors: list[np.ndarray | None] = []
    for mode in range(a.ndim):
        rows, k = a.shape[mode], min(ranks[mode], a.shape[mode])
        start = previous[mode] if previous is not None and previous[mode].shape == (rows, k) \
            else orthonormal_start(rows, k, seed=mode)
        factors.append(subspace_iteration(unfold(a, mode), start, iterations))
    return Tucker(project(a, factors), factors, a.shape)


# ------------------------------------------------------------------ memory formulas
def hosvd_floats(shape: tuple[int, int, int], ranks: tuple[int, int, int]) -> int:
    """K1*K2*K3 + n_sel*K1 + H*K2 + W*K3."""
    return int(np.prod(ranks) + sum(m * k for m, k in zip(shape, ranks)))


def svd_floats(shape: tuple[int, int, int], rank: int) -> int:
    """K*(n_sel + H*W)."""
    return int(rank * (shape[0] + shape[1] * shape[2]))


# ------------------------------------------------------------------ weight gradient
def _spatial_windows(u: np.ndarray | None, size: int, k: int, stride: int, pad: int,
                     dil: int, out: int) -> np.ndarray:
    """(K, k, out): row index oh*stride + kk*dil - pad of the factor (zero in the padding)."""
    u = np.eye(size) if u is None else u
    rows = np.arange(out)[None, :] * stride + np.arange(k)[:, None] * dil - pad   # (k, out)
    valid = (rows >= 0) & (rows < size)
    picked = u[np.clip(rows, 0, size - 1)]                                        # (k, out, K)
    return np.moveaxis(picked * valid[..., None], 2, 0)


def conv_weight_grad_from_factors(node: Node, block: Tucker, channels: np.ndarray,
                                  dy: np.ndarray, w_shape: tuple[int, ...]) -> np.ndarray:
    """Slices (n_sel, O/g, KH, KW) of dW from the factors (Z-path), never forming A."""
    g = node.attrs["group"]
    o, cg, kh, kw = w_shape
    og = o // g
    n_sel = len(channels)
    if n_sel == 0 or 0 in block.ranks:
        return np.zeros((n_sel, og, kh, kw), dtype=dy.dtype)
    if block.factors[1] is None and block.factors[2] is None:
        return _svd_weight_grad(node, block, channels, dy, w_shape)
    (h, w), (oh, ow) = block.shape[1:], dy.shape[1:]
    t, l, _, _ = node.attrs["pads"]
    sh, sw = node.attrs["strides"]
    dh, dw = node.attrs["dilations"]
    p2 = _spatial_windows(block.factors[1], h, kh, sh, t, dh, oh)      # (K2, KH, OH)
    p3 = _spatial_windows(block.factors[2], w, kw, sw, l, dw, ow)      # (K3, KW, OW)
    groups, inverse = np.unique(np.asarray(channels) // cg, return_inverse=True)
    dy_g = dy.reshape(g, og, oh, ow)[groups]                           # (u, og, OH, OW)
    z1 = np.einsum("bkp,uopq->uobkq", p2, dy_g, optimize=True)         # dY x spatial-1
    z2 = np.einsum("uobkq,clq->uobkcl", z1, p3, optimize=True)         # x spatial-2
    u1 = np.eye(n_sel) if block.factors[0] is None else block.factors[0]
    if len(groups) == 1:                                               # dense conv: U1 last
        z3 = np.einsum("abc,obkcl->aokl", block.core, z2[0], optimize=True)
        return np.einsum("na,aokl->nokl", u1, z3, optimize=True)
    per_channel_core = np.einsum("na,abc->nbc", u1, block.core, optimize=True)
    return np.einsum("nbc,nobkcl->nokl", per_channel_core, z2[inverse], optimize=True)


def _svd_weight_grad(node: Node, block: Tucker, channels: np.ndarray, dy: np.ndarray,
                     w_shape: tuple[int, ...]) -> np.ndarray:
    """svd (spatial modes uncompressed): the K core planes are K virtual input channels.
    One group: dW = U1 @ (weight grad of the core planes); several groups: each channel's
    plane U1[n] @ core is rebuilt one at a time against its own group's dY."""
    cg = w_shape[1]
    u1, core = block.factors[0], block.core
    groups = np.asarray(channels) // cg
    if len(np.unique(groups)) == 1:
        virtual = np.full(core.shape[0], channels[0])                # all in that group
        z = conv_weight_grad_slices(node, core, virtual, dy, w_shape)  # (K, og, KH, KW)
        return np.einsum("na,aokl->nokl", u1, z, optimize=True)
    return np.concatenate([
        conv_weight_grad_slices(node, np.tensordot(u1[j], core, axes=1)[None],
                                np.asarray(channels)[j:j + 1], dy, w_shape)
        for j in range(len(channels))])


def zpath_work_floats(node: Node, block: Tucker, channels: np.ndarray,
                      dy_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> int:
    """Floats of the Z-path intermediates (windowed factors, z1, z2, z3) for one block."""
    if node.op != "conv":
        return int(np.prod(block.shape))                  # gemm: the reconstructed vector
    o, cg, kh, kw = w_shape
    og = o // node.attrs["group"]
    k1, k2, k3 = block.ranks
    oh, ow = dy_shape[1:]
    groups = len(np.unique(np.asarray(channels) // cg)) if len(channels) else 0
    if block.factors[1] is None and block.factors[2] is None:      # svd: see _svd_weight_grad
        return int(k1 * og * kh * kw if groups == 1 else block.shape[1] * block.shape[2])
    z3 = k1 * og * kh * kw if groups == 1 else len(channels) * k2 * k3
    return int(k2 * kh * oh + k3 * kw * ow + groups * og * k2 * kh * ow
               + groups * og * k2 * kh * k3 * kw + z3)


def compress_work_floats(method: str, shape: tuple[int, int, int],
                         ranks: tuple[int, int, int]) -> int:
    """Floats a compressor needs besides the stored factors (largest mode at a time).
    svd/hosvd: the thin SVD of an unfolding as numpy computes it (U, s and Vt, r = min(M, rest));
    asi: the (rest x K) and (M x K) products of one subspace iteration."""
    total = int(np.prod(shape))
    modes = (0,) if method == "svd" else (0, 1, 2)
    if method == "asi":
        return max(total // shape[m] * ranks[m] + shape[m] * ranks[m] for m in modes)
    thin = [min(shape[m], total // shape[m]) for m in range(3)]
    return max(thin[m] * (shape[m] + 1 + total // shape[m]) for m in modes)


# ------------------------------------------------------------------ configuration + state
@dataclass(frozen=True)
class CompressionConfig:
    """method: svd|hosvd|asi; eps: explained-variance threshold (svd, hosvd);
    rank: one asi rank for every mode; layer_ranks: asi ranks per ONNX weight (K1, K2, K3);
    iterations: asi subspace iterations per sample; layers: ONNX weights to compress
    (None: every plan layer)."""

    method: str
    eps: float = 0.9
    rank: int | None = None
    layer_ranks: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    iterations: int = 2
    layers: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise MedyateError(f"unknown compression '{self.method}' (known: {', '.join(METHODS)})")
        if not 0.0 < self.eps <= 1.0:
            raise MedyateError(f"--eps must be in (0, 1], got {self.eps}")
        if self.method == "asi":
            if self.rank is None and not self.layer_ranks:
                raise MedyateError("asi uses fixed ranks chosen offline: give --rank")
            if self.rank is not None and self.rank < 1:
                raise MedyateError(f"--rank must be >= 1, got {self.rank}")
            if self.iterations < 1:
                raise MedyateError("asi needs at least one subspace iteration per sample")
        elif self.rank is not None or self.layer_ranks:
            raise MedyateError(f"--rank applies to asi; {self.method} chooses its ranks by --eps")

    def applies_to(self, layer: TrainLayer) -> bool:
        return self.layers is None or layer.onnx_weight in self.layers

    def asi_ranks(self, layer: TrainLayer) -> tuple[int, int, int]:
        if layer.onnx_weight in self.layer_ranks:
            return tuple(self.layer_ranks[layer.onnx_weight])  # type: ignore[return-value]
        r = int(self.rank)  # type: ignore[arg-type]
        return (r, r, r)


@dataclass
class LayerMemory:
    """One compressed block's accounting (bytes are float32 on the device)."""

    stored_floats: int
    raw_floats: int
    work_floats: int
    ranks: tuple[int, ...]

    @property
    def stored_bytes(self) -> int:
        return FLOAT_BYTES * self.stored_floats

    @property
    def raw_bytes(self) -> int:
        return FLOAT_BYTES * self.raw_floats

    @property
    def work_bytes(self) -> int:
        return FLOAT_BYTES * self.work_floats


def layer_memory(layer: TrainLayer, method: str, block: Tucker, channels: np.ndarray,
                 dy_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> LayerMemory:
    return LayerMemory(block.stored_floats, int(np.prod(block.shape)),
                       max(compress_work_floats(method, block.shape, _full_ranks(block)),
                           zpath_work_floats(layer.node, block, channels, dy_shape, w_shape)),
                       block.ranks)


def _full_ranks(block: Tucker) -> tuple[int, int, int]:
    k = block.ranks
    return (k[0], k[1] if block.factors[1] is not None else block.shape[1],
            k[2] if block.factors[2] is not None else block.shape[2])


Compressor = Callable[["ActivationCompressor", TrainLayer, np.ndarray], Tucker]
COMPRESSORS: dict[str, Compressor] = {
    "svd": lambda c, layer, a: svd(a, c.config.eps),
    "hosvd": lambda c, layer, a: hosvd(a, c.config.eps),
    "asi": lambda c, layer, a: c.asi_block(layer, a),
}


class ActivationCompressor:
    """Per-executor state: asi warm starts and the per-sample memory log of every layer."""

    def __init__(self, config: CompressionConfig) -> None:
        self.config = config
        self.warm: dict[int, list[np.ndarray]] = {}
        self.log: dict[str, list[LayerMemory]] = {}
        self._sample_bytes: list[int] = []
        self._live_bytes = 0

    def applies_to(self, layer: TrainLayer) -> bool:
        return self.config.applies_to(layer)

    def compress(self, layer: TrainLayer, planes: np.ndarray) -> Tucker:
        block = planes if planes.ndim == 3 else planes.reshape(-1, 1, 1)   # gemm: (n_sel,1,1)
        return COMPRESSORS[self.config.method](self, layer, block)

    def asi_block(self, layer: TrainLayer, a: np.ndarray) -> Tucker:
        block = asi(a, self.config.asi_ranks(layer), self.warm.get(layer.index),
                    self.config.iterations)
        self.warm[layer.index] = [f for f in block.factors if f is not None]
        return block

    def weight_grad(self, layer: TrainLayer, block: Tucker, channels: np.ndarray,
                    dy: np.ndarray, w_shape: tuple[int, ...]) -> np.ndarray:
        memory = layer_memory(layer, self.config.method, block, channels, dy.shape, w_shape)
        self.log.setdefault(layer.onnx_weight, []).append(memory)
        if layer.kind == "conv":
            return conv_weight_grad_from_factors(layer.node, block, channels, dy, w_shape)
        return gemm_weight_grad_slices(block.reconstruct().reshape(-1), dy)

    def stats(self) -> dict[str, dict[str, object]]:
        """Per layer: raw bytes replaced, peak/mean compressed bytes and work bytes over
        the samples seen, the peak ranks."""
        out: dict[str, dict[str, object]] = {}
        for name, entries in self.log.items():
            stored = np.array([e.stored_bytes for e in entries])
            out[name] = {
                "method": self.config.method, "samples": len(entries),
                "raw_bytes": max(e.raw_bytes for e in entries),
                "peak_bytes": int(stored.max()), "mean_bytes": float(stored.mean()),
                "peak_work_bytes": max(e.work_bytes for e in entries),
                "peak_ranks": [int(max(e.ranks[m] for e in entries)) for m in range(3)],
            }
        return out
