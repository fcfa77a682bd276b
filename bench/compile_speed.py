"""C compile time of a generated model with millions of constant weights.

    python bench/compile_speed.py [--width 32]

Builds a ResNet-18-style network (tests/zoo.py blocks: 4 stages of 2 basic blocks,
widths w, 2w, 4w, 8w; w = 64 is ResNet-18's 11.2 M parameters) for 3x32x32 input,
exports it, compiles it with a plan that trains only the classifier (every conv weight
is a flash constant), and times `arm-none-eabi-gcc -O2 -c model.c` (Cortex-M4F flags)
and the host `cc -O2 -c model.c`. Prints the source size and both times.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
M4 = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]


def resnet18_like(width: int):  # type: ignore[no-untyped-def]
    import torch
    import torch.nn as nn
    sys.path.insert(0, str(REPO / "tests"))
    import zoo

    class ResNet18Like(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = width
            self.stem = zoo.conv_bn(3, w, 3, activation=nn.ReLU)
            blocks, c = [], w
            for i, out in enumerate((w, 2 * w, 4 * w, 8 * w)):
                blocks += [zoo.BasicBlock(c, out, 1 if i == 0 else 2), zoo.BasicBlock(out, out, 1)]
                c = out
            self.blocks = nn.Sequential(*blocks)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(c, 10)

        def forward(self, x):  # type: ignore[no-untyped-def]
            return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))

    torch.manual_seed(0)
    return ResNet18Like().eval()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=32)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    import zoo
    from medyate.codegen.compiler import compile_model
    from medyate.codegen.frontend import load_graph
    from medyate.codegen.plan import Plan

    work = REPO / "build" / "bench" / f"compile_speed_w{args.width}"
    onnx = work / "resnet18_like.onnx"
    if not onnx.is_file():
        model = resnet18_like(args.width)
        zoo.export_onnx(model, onnx, (1, 3, 32, 32))
    graph = load_graph(onnx)
    params = sum(t.size for t in graph.tensors.values() if t.is_const)
    fc = [n for n in graph.trainable_layers() if n.op == "gemm"][-1]
    plan = Plan(4096, [{"weight": graph.tensors[fc.inputs[1]].binding.onnx_name, "bias": True}])
    t0 = time.time()
    compile_model(onnx, plan, work / "model", graph=graph)
    t_gen = time.time() - t0
    src = work / "model" / "model.c"
    inc = ["-I", str(REPO / "runtime_c" / "include"), "-I", str(work / "model")]
    times = {}
    for name, cmd in (("arm-none-eabi-gcc -O2", ["arm-none-eabi-gcc", *M4, "-O2"]),
                      ("host cc -O2", ["cc", "-O2"])):
        t0 = time.time()
        subprocess.run([*cmd, "-std=c99", *inc, "-c", str(src), "-o", str(work / "model.o")],
                       check=True)
        times[name] = time.time() - t0
    print(f"ResNet-18-like width {args.width}: {params:,} constant floats, model.c "
          f"{src.stat().st_size / 1e6:.1f} MB, generated in {t_gen:.1f} s")
    for name, t in times.items():
        print(f"  {name}: {t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
