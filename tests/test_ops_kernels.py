"""The C kernels of the issue-12 ops (runtime_c/src) against PyTorch autograd: each
forward and its input gradient(s), float32 C vs float64 torch."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kernel_lib import Kernels, kernels  # noqa: F401

_p = ctypes.POINTER(ctypes.c_float)
_u = ctypes.c_uint32
_f = ctypes.c_float
_pu = ctypes.POINTER(ctypes.c_uint32)
SIGNATURES = {
    "mdy_sigmoid_f32": [_p, _p, _u], "mdy_sigmoid_grad_f32": [_p, _p, _p, _u],
    "mdy_tanh_f32": [_p, _p, _u], "mdy_tanh_grad_f32": [_p, _p, _p, _u],
    "mdy_hardsigmoid_f32": [_p, _p, _u, _f, _f], "mdy_hardsigmoid_grad_f32": [_p, _p, _p, _u, _f, _f],
    "mdy_hardswish_f32": [_p, _p, _u], "mdy_hardswish_grad_f32": [_p, _p, _p, _u],
    "mdy_leaky_relu_f32": [_p, _p, _u, _f], "mdy_leaky_relu_grad_f32": [_p, _p, _p, _u, _f],
    "mdy_prelu_f32": [_p, _p, _p, _u, _u], "mdy_prelu_grad_f32": [_p, _p, _p, _p, _u, _u],
    "mdy_mul_f32": [_p, _p, _p, _u], "mdy_mul_channel_f32": [_p, _p, _p, _u, _u],
    "mdy_mul_channel_grad_f32": [_p, _p, _p, _u, _u],
    "mdy_transpose_f32": [_p, _p, _u, _pu, _pu],
    "mdy_pad2d_f32": [_p, _u, _u, _u, _u, _u, _u, _u, _p],
    "mdy_pad2d_grad_f32": [_p, _u, _u, _u, _u, _u, _u, _u, _p],
    "mdy_lrn_f32": [_p, _u, _u, _u, _f, _f, _f, _p],
    "mdy_lrn_grad_f32": [_p, _p, _u, _u, _u, _f, _f, _f, _p],
    "mdy_add_channel_f32": [_p, _p, _p, _u, _u],
    "mdy_div_f32": [_p, _p, _p, _u, _u, _u], "mdy_div_grad_f32": [_p, _p, _p, _p, _u, _u, _u],
    "mdy_softmax_f32": [_p, _u, _u, _p],
}


@pytest.fixture(scope="module")
def lib(kernels: Kernels):  # noqa: F811
    for name, argtypes in SIGNATURES.items():
        fn = getattr(kernels.lib, name)
        fn.restype, fn.argtypes = None, argtypes
    return kernels.lib


def fp(a: np.ndarray):
    assert a.dtype == np.float32 and a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(_p)


def f32(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def oracle(fn, *inputs: np.ndarray, dy: np.ndarray):
    """torch float64: fn(*inputs) and the gradients of sum(fn * dy) w.r.t. each input."""
    ts = [torch.tensor(i, dtype=torch.float64, requires_grad=True) for i in inputs]
    y = fn(*ts)
    (y * torch.tensor(dy, dtype=torch.float64)).sum().backward()
    return y.detach().numpy(), [t.grad.numpy() for t in ts]


def close(got: np.ndarray, want: np.ndarray, tol: float = 1e-5) -> None:
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= tol * max(1.0, np.abs(want).max())


UNARY = [
    ("sigmoid", torch.sigmoid, (), "y"),
    ("tanh", torch.tanh, (), "y"),
    ("hardsigmoid", lambda x: F.hardsigmoid(x), (1.0 / 6.0, 0.5), "x"),
    ("hardsigmoid", lambda x: torch.clamp(0.2 * x + 0.5, 0.0, 1.0), (0.2, 0.5), "x"),
    ("hardswish", F.hardswish, (), "x"),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), (0.1,), "x"),
]


@pytest.mark.parametrize("op,torch_fn,args,saved", UNARY)
def test_unary_activation_forward_and_grad(lib, op: str, torch_fn, args: tuple, saved: str) -> None:
    rng = np.random.default_rng(len(op))
    x = f32(rng.standard_normal(301) * 4.0)
    dy = f32(rng.standard_normal(301))
    want_y, (want_dx,) = oracle(torch_fn, x, dy=dy)
    y, dx = np.zeros_like(x), np.zeros_like(x)
    getattr(lib, f"mdy_{op}_f32")(fp(x), fp(y), x.size, *args)
    close(y, want_y)
    getattr(lib, f"mdy_{op}_grad_f32")(fp(dy), fp(y if saved == "y" else x), fp(dx), x.size, *args)
    close(dx, want_dx)
    getattr(lib, f"mdy_{op}_grad_f32")(fp(dy), fp(y if saved == "y" else x), fp(dy), x.size, *args)
    close(dy, want_dx)                                    # dx may alias dy


def test_prelu_forward_and_grad(lib) -> None:
    rng = np.random.default_rng(1)
    x, dy = f32(rng.standard_normal((5, 7))), f32(rng.standard_normal((5, 7)))
    slope = f32(rng.uniform(-0.5, 0.5, 5))
    want_y, (want_dx, _) = oracle(lambda a, s: F.prelu(a.unsqueeze(0), s)[0], x, slope, dy=dy)
    y, dx = np.zeros_like(x), np.zeros_like(x)
    lib.mdy_prelu_f32(fp(x), fp(slope), fp(y), 5, 7)
    lib.mdy_prelu_grad_f32(fp(dy), fp(x), fp(slope), fp(dx), 5, 7)
    close(y, want_y)
    close(dx, want_dx)


@pytest.mark.parametrize("channel", [False, True])
def test_mul_forward_and_both_grads(lib, channel: bool) -> None:
    rng = np.random.default_rng(2)
    c, hw = 6, 10
    x, dy = f32(rng.standard_normal((c, hw))), f32(rng.standard_normal((c, hw)))
    s = f32(rng.standard_normal((c, 1) if channel else (c, hw)))
    want_y, (want_dx, want_ds) = oracle(lambda a, b: a * b, x, s, dy=dy)
    y, dx, ds = np.zeros_like(x), np.zeros_like(x), np.zeros_like(s)
    if channel:
        lib.mdy_mul_channel_f32(fp(x), fp(s), fp(y), c, hw)
        lib.mdy_mul_channel_f32(fp(dy), fp(s), fp(dx), c, hw)
        lib.mdy_mul_channel_grad_f32(fp(dy), fp(x), fp(ds), c, hw)
    else:
        lib.mdy_mul_f32(fp(x), fp(s), fp(y), c * hw)
        lib.mdy_mul_f32(fp(dy), fp(s), fp(dx), c * hw)
        lib.mdy_mul_f32(fp(dy), fp(x), fp(ds), c * hw)
    close(y, want_y)
    close(dx, want_dx)
    close(ds, want_ds)


@pytest.mark.parametrize("dims,perm", [((2, 3, 4, 5), (1, 0, 2, 3)), ((3, 4, 5), (2, 0, 1)),
                                       ((2, 1, 3, 2, 2), (4, 2, 0, 3, 1)), ((7,), (0,))])
def test_transpose_matches_numpy(lib, dims: tuple, perm: tuple) -> None:
    x = f32(np.random.default_rng(3).standard_normal(dims))
    y = np.zeros(x.size, np.float32)
    arr = (ctypes.c_uint32 * len(dims))
    lib.mdy_transpose_f32(fp(x), fp(y), len(dims), arr(*dims), arr(*perm))
    assert np.array_equal(y, np.transpose(x, perm).reshape(-1))


def test_pad2d_forward_and_grad(lib) -> None:
    rng = np.random.default_rng(4)
    x = f32(rng.standard_normal((3, 4, 5)))
    pads = (2, 1, 0, 3)                       # top, left, bottom, right
    dy = f32(rng.standard_normal((3, 6, 9)))
    want_y, (want_dx,) = oracle(lambda a: F.pad(a, (1, 3, 2, 0)), x, dy=dy)
    y, dx = np.zeros((3, 6, 9), np.float32), np.zeros_like(x)
    lib.mdy_pad2d_f32(fp(x), 3, 4, 5, *pads, fp(y))
    lib.mdy_pad2d_grad_f32(fp(dy), 3, 4, 5, *pads, fp(dx))
    close(y, want_y)
    close(dx, want_dx)


@pytest.mark.parametrize("size", [3, 4, 5])
def test_lrn_forward_and_grad_match_torch(lib, size: int) -> None:
    """torch's local_response_norm is ONNX's LRN (window c - size//2 .. c + (size-1)//2
    for odd sizes; for even sizes torch's window is the mirror image, checked via numpy)."""
    from medyate.codegen.ir import Node
    from medyate.codegen.ops.lrn import _backward, _forward
    rng = np.random.default_rng(size)
    c, h, w = 7, 3, 4
    x, dy = f32(rng.standard_normal((c, h, w)) * 2.0), f32(rng.standard_normal((c, h, w)))
    alpha, beta, bias = 0.3, 0.75, 1.5
    node = Node("lrn", "lrn", [], [], {"size": size, "alpha": alpha, "beta": beta, "bias": bias})
    want_y = _forward(node, [x.astype(np.float64)], [])[0]
    want_dx = _backward(node, dy.astype(np.float64), [x.astype(np.float64)], [x.shape], [])[0]
    if size % 2:
        t_y, (t_dx,) = oracle(lambda a: F.local_response_norm(a.unsqueeze(0), size, alpha, beta, bias)[0],
                              x, dy=dy)
        close(want_y, t_y, 1e-10)
        close(want_dx, t_dx, 1e-10)
    y, dx = np.zeros_like(x), np.zeros_like(x)
    lib.mdy_lrn_f32(fp(x), c, h * w, size, alpha, beta, bias, fp(y))
    lib.mdy_lrn_grad_f32(fp(dy), fp(x), c, h * w, size, alpha, beta, bias, fp(dx))
    close(y, want_y)
    close(dx, want_dx)


@pytest.mark.parametrize("channel", [False, True])
def test_div_forward_and_both_grads(lib, channel: bool) -> None:
    rng = np.random.default_rng(5)
    c, hw = 5, 6
    x, dy = f32(rng.standard_normal((c, hw))), f32(rng.standard_normal((c, hw)))
    s = f32(rng.uniform(0.5, 2.0, (c, 1) if channel else (c, hw)))
    want_y, (want_dx, want_ds) = oracle(lambda a, b: a / b, x, s, dy=dy)
    y, dx, ds = np.zeros_like(x), np.zeros_like(x), np.zeros_like(s)
    lib.mdy_div_f32(fp(x), fp(s), fp(y), c, hw, int(channel))
    lib.mdy_div_f32(fp(dy), fp(s), fp(dx), c, hw, int(channel))
    lib.mdy_div_grad_f32(fp(dy), fp(y), fp(s), fp(ds), c, hw, int(channel))
    close(y, want_y)
    close(dx, want_dx)
    close(ds, want_ds)


def test_add_channel_and_softmax(lib) -> None:
    rng = np.random.default_rng(6)
    x, s = f32(rng.standard_normal((4, 9))), f32(rng.standard_normal(4))
    y = np.zeros_like(x)
    lib.mdy_add_channel_f32(fp(x), fp(s), fp(y), 4, 9)
    close(y, x + s[:, None])
    lib.mdy_softmax_f32(fp(x), 4, 9, fp(y))                 # over channels, per pixel
    close(y, torch.softmax(torch.tensor(x, dtype=torch.float64), 0).numpy())
    flat = np.zeros_like(x)
    lib.mdy_softmax_f32(fp(x), 36, 1, fp(flat))              # over the whole sample
    close(flat, torch.softmax(torch.tensor(x.reshape(-1), dtype=torch.float64), 0).numpy().reshape(4, 9))
