"""ctypes access to the C runtime kernels (runtime_c/) for the kernel tests.

The shared library `medyate_runtime_shared` is built once per test process with CMake
into a temporary directory (`load_kernels()` is cached) and wrapped by `Kernels`, whose
methods take and return numpy float32 arrays. Test modules import the `kernels` fixture
from here (tests/conftest.py belongs to another engineer).
"""
from __future__ import annotations

import atexit
import ctypes
import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME_DIR = REPO_ROOT / "runtime_c"

_f32p = ctypes.POINTER(ctypes.c_float)
_u16p = ctypes.POINTER(ctypes.c_uint16)
_u8p = ctypes.POINTER(ctypes.c_uint8)
_u32 = ctypes.c_uint32
_f32 = ctypes.c_float


class ConvParams(ctypes.Structure):
    """Mirror of mdy_conv_params_t."""

    _fields_ = [
        ("in_c", ctypes.c_uint16), ("in_h", ctypes.c_uint16), ("in_w", ctypes.c_uint16),
        ("out_c", ctypes.c_uint16), ("out_h", ctypes.c_uint16), ("out_w", ctypes.c_uint16),
        ("k_h", ctypes.c_uint16), ("k_w", ctypes.c_uint16),
        ("stride_h", ctypes.c_uint16), ("stride_w", ctypes.c_uint16),
        ("pad_top", ctypes.c_uint16), ("pad_left", ctypes.c_uint16),
        ("dil_h", ctypes.c_uint16), ("dil_w", ctypes.c_uint16),
        ("groups", ctypes.c_uint16),
        ("act_min", ctypes.c_float), ("act_max", ctypes.c_float),
    ]


class PoolParams(ctypes.Structure):
    """Mirror of mdy_pool_params_t."""

    _fields_ = [
        ("c", ctypes.c_uint16), ("in_h", ctypes.c_uint16), ("in_w", ctypes.c_uint16),
        ("out_h", ctypes.c_uint16), ("out_w", ctypes.c_uint16),
        ("k_h", ctypes.c_uint16), ("k_w", ctypes.c_uint16),
        ("stride_h", ctypes.c_uint16), ("stride_w", ctypes.c_uint16),
        ("pad_top", ctypes.c_uint16), ("pad_left", ctypes.c_uint16),
        ("count_include_pad", ctypes.c_uint8),
    ]


class Tucker(ctypes.Structure):
    """Mirror of mdy_tucker_t (a compressed block: factors, core, shape, ranks)."""

    _fields_ = [
        ("u1", ctypes.POINTER(ctypes.c_float)), ("u2", ctypes.POINTER(ctypes.c_float)),
        ("u3", ctypes.POINTER(ctypes.c_float)), ("core", ctypes.POINTER(ctypes.c_float)),
        ("n_sel", ctypes.c_uint32), ("h", ctypes.c_uint32), ("w", ctypes.c_uint32),
        ("k1", ctypes.c_uint32), ("k2", ctypes.c_uint32), ("k3", ctypes.c_uint32),
    ]


class Requant(ctypes.Structure):
    """Mirror of mdy_s8_requant_t (kernels_s8.h)."""

    _fields_ = [("in_zp", ctypes.c_int32), ("out_zp", ctypes.c_int32),
                ("act_min", ctypes.c_int32), ("act_max", ctypes.c_int32),
                ("mult", ctypes.POINTER(ctypes.c_int32)), ("shift", ctypes.POINTER(ctypes.c_int32))]


class AddParams(ctypes.Structure):
    """Mirror of mdy_add_s8_params_t (kernels_s8.h)."""

    _fields_ = [(n, ctypes.c_int32) for n in ("zp_a", "zp_b", "zp_out", "mult_a", "shift_a",
                                               "mult_b", "shift_b", "mult_out", "shift_out",
                                               "left_shift", "act_min", "act_max")]


_i8p = ctypes.POINTER(ctypes.c_int8)
_i32p = ctypes.POINTER(ctypes.c_int32)
_i32 = ctypes.c_int32

# name -> (restype, argtypes); one entry per function of kernels.h (and kernels_s8.h).
_PCONV = ctypes.POINTER(ConvParams)
_PPOOL = ctypes.POINTER(PoolParams)
SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "mdy_sym_eig_jacobi_f32": (None, [_f32p, ctypes.c_uint32, ctypes.c_uint32, _f32p, _f32p]),
    "mdy_eig_factor_f32": (ctypes.c_uint32, [_f32p, _u16p, ctypes.POINTER(Tucker), ctypes.c_uint32,
                                             ctypes.c_float, ctypes.c_uint32, _f32p, ctypes.c_void_p]),
    "mdy_eig_factor_f32_scratch_size": (ctypes.c_size_t, [ctypes.c_uint32]),
    "mdy_conv2d_f32": (None, [_f32p, _PCONV, _f32p, _f32p, _f32p]),
    "mdy_gemm_f32": (None, [_f32p, _u32, _u32, _f32p, _f32p, _f32, _f32, _f32p]),
    "mdy_clamp_f32": (None, [_f32p, _u32, _f32, _f32]),
    "mdy_add_f32": (None, [_f32p, _f32p, _f32p, _u32]),
    "mdy_channel_affine_f32": (None, [_f32p, _u32, _u32, _f32p, _f32p, _f32p]),
    "mdy_maxpool2d_f32": (None, [_f32p, _PPOOL, _f32p, _u8p]),
    "mdy_avgpool2d_f32": (None, [_f32p, _PPOOL, _f32p]),
    "mdy_global_avgpool_f32": (None, [_f32p, _u32, _u32, _f32p]),
    "mdy_gather_planes_f32": (None, [_f32p, _u32, _u16p, _u32, _f32p]),
    "mdy_softmax_xent_f32": (_f32, [_f32p, _u32, _u32, _f32, _f32p]),
    "mdy_clamp_mask_f32": (None, [_f32p, _u32, _f32, _f32, _u8p]),
    "mdy_mask_apply_f32": (None, [_f32p, _u8p, _u32]),
    "mdy_conv2d_input_grad_f32": (None, [_f32p, _PCONV, _f32p, _f32p]),
    "mdy_conv2d_weight_grad_f32": (None, [_f32p, _u16p, _u32, _f32p, _PCONV, _f32p]),
    "mdy_gemm_input_grad_f32": (None, [_f32p, _f32p, _u32, _u32, _f32p]),
    "mdy_gemm_weight_grad_f32": (None, [_f32p, _u32, _f32p, _u32, _f32p]),
    "mdy_conv2d_weight_grad_rows_f32": (None, [_f32p, _u16p, _u32, _f32p, _PCONV, _f32p]),
    "mdy_gemm_weight_grad_rows_f32": (None, [_f32p, _u32, _u16p, _u32, _f32p, _f32p]),
    "mdy_sgd_rows_f32": (None, [_f32p, _u32, _u16p, _u32, _f32p, _f32, _f32p]),
    "mdy_bias_grad_f32": (None, [_f32p, _u32, _u32, _f32p]),
    "mdy_channel_affine_grad_f32": (None, [_f32p, _u32, _u32, _f32p, _f32p]),
    "mdy_maxpool2d_grad_f32": (None, [_f32p, _u8p, _PPOOL, _f32p]),
    "mdy_avgpool2d_grad_f32": (None, [_f32p, _PPOOL, _f32p]),
    "mdy_global_avgpool_grad_f32": (None, [_f32p, _u32, _u32, _f32p]),
    "mdy_slice_norms_f32": (None, [_f32p, _u32, _u32, _f32p]),
    "mdy_sgd_conv_slices_f32": (None, [_f32p, _PCONV, _u16p, _u32, _f32p, _f32, _f32p]),
    "mdy_sgd_gemm_slices_f32": (None, [_f32p, _u32, _u32, _u16p, _u32, _f32p, _f32, _f32p]),
    "mdy_sgd_dense_f32": (None, [_f32p, _f32p, _u32, _f32, _f32p]),
    "mdy_conv_slices_to_dense_f32": (None, [_f32p, _u16p, _u32, _PCONV, _f32p]),
    "mdy_gemm_slices_to_dense_f32": (None, [_f32p, _u16p, _u32, _u32, _u32, _f32p]),
    # activation compression (asi); ctypes.c_void_p scratch, size_t sizes
    "mdy_orthonormalize_f32": (None, [_f32p, _u32, _u32]),
    "mdy_orthonormal_start_f32": (None, [_f32p, _u32, _u32, _u32]),
    "mdy_subspace_iter_f32": (None, [_f32p, _u16p, ctypes.POINTER(Tucker), _u32, _u32,
                                     ctypes.c_void_p]),
    "mdy_subspace_iter_f32_scratch_size": (ctypes.c_size_t, [_u32, _u32]),
    "mdy_tucker_core_f32": (None, [_f32p, _u16p, ctypes.POINTER(Tucker), ctypes.c_void_p]),
    "mdy_tucker_core_f32_scratch_size": (ctypes.c_size_t, [_u32, _u32, _u32]),
    "mdy_conv2d_weight_grad_tucker_f32": (None, [ctypes.POINTER(Tucker), _u16p, _f32p, _PCONV,
                                                 _f32p, ctypes.c_void_p]),
    "mdy_conv2d_weight_grad_tucker_f32_scratch_size": (ctypes.c_size_t, [_PCONV, _u32, _u32,
                                                                         _u32]),
    "mdy_gemm_weight_grad_tucker_f32": (None, [ctypes.POINTER(Tucker), _f32p, _u32, _f32p]),
    # int8 frozen backbone (kernels_s8.h)
    "mdy_requantize_s32": (_i32, [_i32, _i32, _i32]),
    "mdy_quantize_s8": (None, [_f32p, _u32, _f32, _i32, _i8p]),
    "mdy_dequantize_s8": (None, [_i8p, _u32, _f32, _i32, _f32p]),
    "mdy_conv2d_s8": (None, [_i8p, _PCONV, ctypes.POINTER(Requant), _i8p, _i32p, _i8p]),
    "mdy_gemm_s8": (None, [_i8p, _u32, _u32, _i8p, _i32p, ctypes.POINTER(Requant), _i8p]),
    "mdy_gemm_s8_rq": (None, [_i8p, _u32, _u32, _i8p, _i32p, ctypes.POINTER(Requant), _i8p]),
    "mdy_gemm_s8_prepare": (ctypes.c_int, [_i32p, _i32p, _i32p, _i32, _u32, _i32p]),
    "mdy_add_s8": (None, [_i8p, _i8p, _u32, ctypes.POINTER(AddParams), _i8p]),
    "mdy_maxpool2d_s8": (None, [_i8p, _PPOOL, _i32, _i8p]),
    "mdy_avgpool2d_s8": (None, [_i8p, _PPOOL, _i32, _i8p]),
    "mdy_global_avgpool_s8": (None, [_i8p, _u32, _u32, _i32, _i8p]),
    "mdy_clamp_s8": (None, [_i8p, _u32, _i32, _i32, _i8p]),
}

#: the issue-12 op kernels (activations, SE, shuffle, pad, LRN, softmax): all return void
_p, _u, _f = _f32p, ctypes.c_uint32, ctypes.c_float
_pu = ctypes.POINTER(ctypes.c_uint32)
SIGNATURES.update({
    "mdy_sigmoid_f32": (None, [_p, _p, _u]), "mdy_sigmoid_grad_f32": (None, [_p, _p, _p, _u]),
    "mdy_tanh_f32": (None, [_p, _p, _u]), "mdy_tanh_grad_f32": (None, [_p, _p, _p, _u]),
    "mdy_hardsigmoid_f32": (None, [_p, _p, _u, _f, _f]), "mdy_hardsigmoid_grad_f32": (None, [_p, _p, _p, _u, _f, _f]),
    "mdy_hardswish_f32": (None, [_p, _p, _u]), "mdy_hardswish_grad_f32": (None, [_p, _p, _p, _u]),
    "mdy_leaky_relu_f32": (None, [_p, _p, _u, _f]), "mdy_leaky_relu_grad_f32": (None, [_p, _p, _p, _u, _f]),
    "mdy_prelu_f32": (None, [_p, _p, _p, _u, _u]), "mdy_prelu_grad_f32": (None, [_p, _p, _p, _p, _u, _u]),
    "mdy_mul_f32": (None, [_p, _p, _p, _u]), "mdy_mul_channel_f32": (None, [_p, _p, _p, _u, _u]),
    "mdy_mul_channel_grad_f32": (None, [_p, _p, _p, _u, _u]),
    "mdy_transpose_f32": (None, [_p, _p, _u, _pu, _pu]),
    "mdy_pad2d_f32": (None, [_p, _u, _u, _u, _u, _u, _u, _u, _p]),
    "mdy_pad2d_grad_f32": (None, [_p, _u, _u, _u, _u, _u, _u, _u, _p]),
    "mdy_lrn_f32": (None, [_p, _u, _u, _u, _f, _f, _f, _p]),
    "mdy_lrn_grad_f32": (None, [_p, _p, _u, _u, _u, _f, _f, _f, _p]),
    "mdy_add_channel_f32": (None, [_p, _p, _p, _u, _u]),
    "mdy_div_f32": (None, [_p, _p, _p, _u, _u, _u]), "mdy_div_grad_f32": (None, [_p, _p, _p, _p, _u, _u, _u]),
    "mdy_softmax_f32": (None, [_p, _u, _u, _p]),
})



@dataclass(frozen=True)
class ConvShape:
    """A conv configuration; out_h/out_w follow from the explicit bottom/right pads."""

    in_c: int
    out_c: int
    in_h: int
    in_w: int
    k_h: int
    k_w: int
    stride_h: int = 1
    stride_w: int = 1
    pad_top: int = 0
    pad_left: int = 0
    pad_bottom: int = 0
    pad_right: int = 0
    dil_h: int = 1
    dil_w: int = 1
    groups: int = 1

    @property
    def out_h(self) -> int:
        span = self.dil_h * (self.k_h - 1) + 1
        return (self.in_h + self.pad_top + self.pad_bottom - span) // self.stride_h + 1

    @property
    def out_w(self) -> int:
        span = self.dil_w * (self.k_w - 1) + 1
        return (self.in_w + self.pad_left + self.pad_right - span) // self.stride_w + 1

    @property
    def icpg(self) -> int:
        return self.in_c // self.groups

    @property
    def ocpg(self) -> int:
        return self.out_c // self.groups

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_c, self.icpg, self.k_h, self.k_w)

    def params(self, act_min: float = -np.inf, act_max: float = np.inf) -> ConvParams:
        return ConvParams(self.in_c, self.in_h, self.in_w, self.out_c, self.out_h,
                          self.out_w, self.k_h, self.k_w, self.stride_h, self.stride_w,
                          self.pad_top, self.pad_left, self.dil_h, self.dil_w, self.groups,
                          act_min, act_max)


def _f(a: np.ndarray | None) -> ctypes._Pointer | None:  # type: ignore[name-defined]
    if a is None:
        return None
    assert a.dtype == np.float32 and a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(_f32p)


def _u16(a: np.ndarray) -> ctypes._Pointer:  # type: ignore[name-defined]
    assert a.dtype == np.uint16 and a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(_u16p)


def _u8(a: np.ndarray | None) -> ctypes._Pointer | None:  # type: ignore[name-defined]
    if a is None:
        return None
    assert a.dtype == np.uint8 and a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(_u8p)


def f32(a: object) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def channel_array(channels: list[int] | np.ndarray) -> np.ndarray:
    # a non-empty buffer even for n_sel = 0, so the pointer is valid
    arr = np.asarray(channels, dtype=np.uint16).reshape(-1)
    return np.ascontiguousarray(arr if arr.size else np.zeros(1, np.uint16))


class Kernels:
    """numpy-level wrappers: allocate outputs, call the C kernel, return the result."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib

    def conv2d(self, x: np.ndarray, s: ConvShape, w: np.ndarray, b: np.ndarray | None,
               act_min: float = -np.inf, act_max: float = np.inf,
               out_fill: float = np.nan) -> np.ndarray:
        out = np.full((s.out_c, s.out_h, s.out_w), out_fill, np.float32)
        p = s.params(act_min, act_max)
        self.lib.mdy_conv2d_f32(_f(f32(x)), ctypes.byref(p), _f(f32(w)),
                                _f(None if b is None else f32(b)), _f(out))
        return out

    def conv2d_input_grad(self, dout: np.ndarray, s: ConvShape, w: np.ndarray) -> np.ndarray:
        din = np.full((s.in_c, s.in_h, s.in_w), np.nan, np.float32)  # must be overwritten
        p = s.params()
        self.lib.mdy_conv2d_input_grad_f32(_f(f32(dout)), ctypes.byref(p), _f(f32(w)), _f(din))
        return din

    def conv2d_weight_grad(self, saved: np.ndarray, channels: list[int], dout: np.ndarray,
                           s: ConvShape, init: np.ndarray) -> np.ndarray:
        acc = f32(init).copy()
        p = s.params()
        ch = channel_array(channels)
        self.lib.mdy_conv2d_weight_grad_f32(_f(f32(saved)), _u16(ch), len(channels),
                                            _f(f32(dout)), ctypes.byref(p), _f(acc))
        return acc

    def gather_planes(self, x: np.ndarray, channels: list[int]) -> np.ndarray:
        c, h, w = x.shape
        saved = np.full((max(len(channels), 1), h, w), np.nan, np.float32)
        self.lib.mdy_gather_planes_f32(_f(f32(x)), h * w, _u16(channel_array(channels)),
                                       len(channels), _f(saved))
        return saved[: len(channels)]


@functools.lru_cache(maxsize=1)
def build_shared_library() -> Path:
    """Configure and build medyate_runtime_shared once; return the .so path."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake not installed")
    build_dir = Path(tempfile.mkdtemp(prefix="mdy_kernels_build_"))
    atexit.register(shutil.rmtree, build_dir, ignore_errors=True)
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(["cmake", "-S", str(REPO_ROOT), "-B", str(build_dir), *generator,
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, capture_output=True, text=True)
    subprocess.run(["cmake", "--build", str(build_dir), "--target", "medyate_runtime_shared",
                    "-j2"], check=True, capture_output=True, text=True)
    found = sorted(build_dir.rglob("libmedyate_runtime_shared.*"))
    assert found, f"shared library not produced in {build_dir}"
    return found[0]


@functools.lru_cache(maxsize=1)
def load_kernels() -> Kernels:
    lib = ctypes.CDLL(str(build_shared_library()))
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return Kernels(lib)


@pytest.fixture(scope="session")
def kernels() -> Kernels:
    return load_kernels()


# ---------------------------------------------------------------- numpy references


def ref_conv2d(x: np.ndarray, s: ConvShape, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Direct float64 convolution (independent of the C loop structure)."""
    xp = np.pad(x.astype(np.float64),
                ((0, 0), (s.pad_top, s.pad_bottom), (s.pad_left, s.pad_right)))
    out = np.zeros((s.out_c, s.out_h, s.out_w))
    for o in range(s.out_c):
        g = o // s.ocpg
        xs = xp[g * s.icpg:(g + 1) * s.icpg]
        for kh in range(s.k_h):
            for kw in range(s.k_w):
                r0, c0 = kh * s.dil_h, kw * s.dil_w
                patch = xs[:, r0:r0 + s.stride_h * (s.out_h - 1) + 1:s.stride_h,
                           c0:c0 + s.stride_w * (s.out_w - 1) + 1:s.stride_w]
                out[o] += np.tensordot(w[o, :, kh, kw].astype(np.float64), patch, axes=1)
        if b is not None:
            out[o] += b[o]
    return out


def dense_to_slices(dw: np.ndarray, s: ConvShape, channels: list[int]) -> np.ndarray:
    """The slice layout of kernels.h from a dense [O][I/g][KH][KW] gradient."""
    slices = np.zeros((len(channels), s.ocpg, s.k_h, s.k_w), np.float32)
    for j, c in enumerate(channels):
        g = c // s.icpg
        slices[j] = dw[g * s.ocpg:(g + 1) * s.ocpg, c % s.icpg]
    return slices
