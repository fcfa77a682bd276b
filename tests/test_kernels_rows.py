"""Output-channel (NEq neuron) row kernels vs PyTorch autograd / numpy:
mdy_conv2d_weight_grad_rows_f32, mdy_gemm_weight_grad_rows_f32, mdy_sgd_rows_f32."""
from __future__ import annotations

import ctypes

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kernel_lib import Kernels, _f, _u16, channel_array, f32, kernels  # noqa: F401
from test_kernels_conv import HYP, conv_shapes, random_conv, torch_conv


def subsets(n: int) -> st.SearchStrategy[list[int]]:
    """Any subset of range(n) in any order: empty, full, unsorted, split across groups."""
    return st.permutations(range(n)).flatmap(
        lambda perm: st.integers(0, len(perm)).map(lambda k: list(perm[:k])))


@HYP
@given(s=conv_shapes(), seed=st.integers(0, 2**31 - 1), data=st.data())
def test_conv_weight_grad_rows_match_torch(kernels: Kernels, s, seed: int,  # noqa: F811
                                           data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    x, w, b, dout = random_conv(s, rng)
    _, _, dw_torch = torch_conv(x, s, w, b, dout)
    outs = data.draw(subsets(s.out_c))
    row_shape = (s.in_c // s.groups, s.k_h, s.k_w)
    init = rng.standard_normal((len(outs),) + row_shape).astype(np.float32)
    acc = init.copy() if outs else np.zeros(1, np.float32)
    kernels.lib.mdy_conv2d_weight_grad_rows_f32(_f(f32(x)), _u16(channel_array(outs)),
                                                len(outs), _f(f32(dout)),
                                                ctypes.byref(s.params()), _f(acc))
    if outs:       # accumulated onto what was there, row j = output outs[j]
        np.testing.assert_allclose(acc - init, dw_torch[outs], rtol=1e-4, atol=1e-4)
    else:
        assert acc[0] == 0.0


@HYP
@given(in_f=st.integers(1, 40), out_f=st.integers(1, 12), seed=st.integers(0, 2**31 - 1),
       data=st.data())
def test_gemm_weight_grad_rows(kernels: Kernels, in_f: int, out_f: int, seed: int,  # noqa: F811
                               data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(in_f).astype(np.float32)
    dout = rng.standard_normal(out_f).astype(np.float32)
    outs = data.draw(subsets(out_f))
    init = rng.standard_normal((max(len(outs), 1), in_f)).astype(np.float32)
    acc = init.copy()
    kernels.lib.mdy_gemm_weight_grad_rows_f32(_f(x), in_f, _u16(channel_array(outs)),
                                              len(outs), _f(dout), _f(acc))
    expected = init.copy()
    expected[:len(outs)] += np.outer(dout[outs], x)
    np.testing.assert_allclose(acc, expected, rtol=1e-5, atol=1e-5)


@given(rows=st.integers(1, 9), row_len=st.integers(1, 30), seed=st.integers(0, 2**31 - 1),
       gain=st.booleans(), data=st.data())
@HYP
def test_sgd_rows_touches_exactly_the_listed_rows(kernels: Kernels, rows: int,  # noqa: F811
                                                  row_len: int, seed: int, gain: bool,
                                                  data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((rows, row_len)).astype(np.float32)
    outs = data.draw(subsets(rows))
    g = rng.standard_normal((max(len(outs), 1), row_len)).astype(np.float32)
    scale = rng.uniform(0.5, 2.0, rows).astype(np.float32) if gain else None
    got = w.copy()
    kernels.lib.mdy_sgd_rows_f32(_f(got), row_len, _u16(channel_array(outs)), len(outs),
                                 _f(g), ctypes.c_float(0.1), _f(scale))
    expected = w.copy()
    for j, o in enumerate(outs):
        expected[o] -= 0.1 * (1.0 if scale is None else scale[o]) * g[j]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
