"""PyTorch oracles shared by the kernel tests (float64 autograd)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from kernel_lib import ConvShape


def torch_conv_grads(x: np.ndarray, s: ConvShape, w: np.ndarray, dout: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(dx, dw) of conv2d(pad(x), w) against the output gradient dout, in float64."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    xp = F.pad(xt[None], (s.pad_left, s.pad_right, s.pad_top, s.pad_bottom))
    y = F.conv2d(xp, wt, None, stride=(s.stride_h, s.stride_w), dilation=(s.dil_h, s.dil_w),
                 groups=s.groups)[0]
    (y * torch.tensor(dout, dtype=torch.float64)).sum().backward()
    assert xt.grad is not None and wt.grad is not None
    return xt.grad.numpy(), wt.grad.numpy()
