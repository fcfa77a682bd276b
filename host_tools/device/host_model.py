"""The `host` target: a generated model compiled natively (CMake, -Wall -Wextra -Werror)
as a shared library and driven through model_api.h with ctypes."""
from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from medyate import PROJECT_ROOT
from medyate.codegen.errors import MedyateError

BUILD_ROOT = Path.home() / ".cache" / "medyate" / "host-builds"
ERRORS = {1: "the schedule needs more bytes than the channel pool holds",
          2: "a channel or layer index is out of range or repeated",
          3: "label out of range", 4: "call out of order"}


#: model_api.h MDY_TENSOR_* kinds
WEIGHT, BIAS, WEIGHT_GRAD, BIAS_GRAD = 0, 1, 2, 3


class DeviceError(MedyateError):
    """The model (host library or device) refused a request."""


def _runtime_digest() -> "hashlib._Hash":
    digest = hashlib.sha256()
    for src in sorted((PROJECT_ROOT / "runtime_c").rglob("*")):
        if src.is_file() and src.suffix in (".c", ".h", ".txt"):
            digest.update(str(src.relative_to(PROJECT_ROOT)).encode())
            digest.update(src.read_bytes())
    return digest


def _cmake_build(model_dir: Path, build: Path, target: str, runtime: Path | None) -> None:
    """Configure runtime_c/host_model for model_dir into a private folder, build `target`,
    publish the folder as `build` (a concurrent twin that published first wins)."""
    if shutil.which("cmake") is None:
        raise MedyateError("cmake is not installed: run scripts/install_deps.sh")
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{build.name}.tmp-", dir=BUILD_ROOT))
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    archive = [f"-DMEDYATE_RUNTIME_ARCHIVE={runtime}"] if runtime is not None else []
    for cmd in (["cmake", "-S", str(PROJECT_ROOT / "runtime_c" / "host_model"), "-B", str(tmp),
                 *generator, f"-DMODEL_DIR={model_dir.resolve()}", "-DCMAKE_BUILD_TYPE=Release",
                 *archive],
                ["cmake", "--build", str(tmp), "--target", target, "-j", "2"]):
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise MedyateError(f"host build failed ({' '.join(cmd[:2])}):\n"
                               f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
    try:
        tmp.rename(build)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not build.exists():
            raise


def _runtime_archive(model_dir: Path) -> Path:
    """libmedyate_runtime.a (position-independent), built once per runtime sources:
    every host model links it instead of compiling the ~80 kernel files again."""
    build = BUILD_ROOT / f"runtime-{_runtime_digest().hexdigest()[:16]}"
    archive = build / "runtime" / "libmedyate_runtime.a"
    if not archive.exists():
        _cmake_build(model_dir, build, "medyate_runtime", None)
    return archive


def build_host_library(model_dir: Path) -> Path:
    """Build model_dir/model.c against the runtime into a shared library (cached by content)."""
    digest = _runtime_digest()
    digest.update((model_dir / "model.c").read_bytes() + (model_dir / "model.h").read_bytes())
    build = BUILD_ROOT / digest.hexdigest()[:16]
    lib = build / "libmedyate_model.so"
    if lib.exists():
        return lib
    _cmake_build(model_dir, build, "medyate_model", _runtime_archive(model_dir))
    return lib


_F32P = ctypes.POINTER(ctypes.c_float)
_U16P = ctypes.POINTER(ctypes.c_uint16)


def _ptr(a: np.ndarray, kind=_F32P):
    return a.ctypes.data_as(kind)


def _counts_and_flat(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer counts and the lists concatenated (one spare element: never empty)."""
    counts = np.array([len(c) for c in lists], dtype=np.uint16)
    flat = np.concatenate([np.asarray(c, dtype=np.uint16) for c in lists] +
                          [np.zeros(1, np.uint16)])
    return counts, flat


class HostModel:
    """One loaded instance of a generated model (its own static state)."""

    def __init__(self, lib_path: Path) -> None:
        # each load gets a private copy: the model's state is static in the library
        self._lib = ctypes.CDLL(str(lib_path), mode=ctypes.RTLD_LOCAL)
        lib = self._lib
        for name, res, args in [
            ("model_set_schedule", ctypes.c_int, [_U16P, _U16P]),
            ("model_set_schedule_ex", ctypes.c_int, [_U16P, _U16P, _U16P, _U16P]),
            ("model_forward", ctypes.c_int, [_F32P, _F32P]),
            ("model_train_sample", ctypes.c_int, [_F32P, ctypes.c_uint32, _F32P, _F32P]),
            ("model_apply_update", ctypes.c_int, [ctypes.c_float, ctypes.c_uint32]),
            ("model_zero_grad", None, []),
            ("model_tensor_elems", ctypes.c_uint32, [ctypes.c_uint32, ctypes.c_uint32]),
            ("model_read_tensor", ctypes.c_uint32,
             [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, _F32P]),
            ("model_write_tensor", ctypes.c_uint32,
             [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, _F32P]),
            ("model_get_channel_norms", ctypes.c_uint32, [ctypes.c_uint32, _F32P]),
            ("model_reset_weights", None, []),
        ]:
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args

    def _check(self, code: int) -> None:
        if code:
            raise DeviceError(f"model refused the request: {ERRORS.get(code, code)}")

    def set_schedule(self, channel_lists: list[np.ndarray],
                     output_lists: list[np.ndarray] | None = None) -> None:
        """Input-channel lists per layer and, optionally, output-channel (NEq neuron)
        lists per layer (model_set_schedule_ex)."""
        counts, flat = _counts_and_flat(channel_lists)
        if output_lists is None or not any(len(o) for o in output_lists):
            self._check(self._lib.model_set_schedule(_ptr(counts, _U16P), _ptr(flat, _U16P)))
            return
        out_counts, out_flat = _counts_and_flat(output_lists)
        self._check(self._lib.model_set_schedule_ex(_ptr(counts, _U16P), _ptr(flat, _U16P),
                                                    _ptr(out_counts, _U16P),
                                                    _ptr(out_flat, _U16P)))

    def forward(self, x: np.ndarray, num_classes: int) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.zeros(num_classes, dtype=np.float32)
        self._check(self._lib.model_forward(_ptr(x), _ptr(out)))
        return out

    def train_sample(self, x: np.ndarray, label: int, num_classes: int) -> tuple[float, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float32)
        loss = np.zeros(1, dtype=np.float32)
        logits = np.zeros(num_classes, dtype=np.float32)
        self._check(self._lib.model_train_sample(_ptr(x), int(label), _ptr(loss), _ptr(logits)))
        return float(loss[0]), logits

    def apply_update(self, lr: float, batch: int) -> None:
        self._check(self._lib.model_apply_update(float(lr), int(batch)))

    def zero_grad(self) -> None:
        self._lib.model_zero_grad()

    def read_tensor(self, layer: int, kind: int) -> np.ndarray:
        """A layer's tensor (IR layout, flat): 0 weight, 1 bias, 2 weight grad, 3 bias grad."""
        size = self._lib.model_tensor_elems(layer, kind)
        out = np.zeros(max(size, 1), dtype=np.float32)
        if self._lib.model_read_tensor(layer, kind, 0, size, _ptr(out)) != size:
            raise DeviceError(f"model refused to read tensor {kind} of layer {layer}")
        return out[:size]

    def write_tensor(self, layer: int, kind: int, values: np.ndarray) -> None:
        """Overwrites a layer's weight (0) or bias (1), IR layout, flat."""
        data = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
        if self._lib.model_write_tensor(layer, kind, 0, data.size, _ptr(data)) != data.size:
            raise DeviceError(f"model refused to write tensor {kind} of layer {layer}")

    def weight_grad(self, layer: int, size: int) -> np.ndarray:
        out = self.read_tensor(layer, WEIGHT_GRAD)
        if out.size != size:
            raise DeviceError(f"layer {layer}: weight gradient has {out.size} elements, not {size}")
        return out

    def bias_grad(self, layer: int, size: int) -> np.ndarray:
        out = self.read_tensor(layer, BIAS_GRAD)
        if out.size != size:
            raise DeviceError(f"layer {layer} trains no bias")
        return out

    def weights(self, layer: int, w_size: int, b_size: int) -> tuple[np.ndarray, np.ndarray]:
        w = self.read_tensor(layer, WEIGHT)
        b = self.read_tensor(layer, BIAS)
        return w, (b if b.size else np.zeros(0, np.float32))[:b_size]

    def channel_norms(self, layer: int, capacity: int) -> np.ndarray:
        out = np.zeros(max(capacity, 1), dtype=np.float32)
        n = self._lib.model_get_channel_norms(layer, _ptr(out))
        return out[:n]

    def reset_weights(self) -> None:
        self._lib.model_reset_weights()


def load_private(lib_path: Path, tag: str) -> HostModel:
    """dlopen shares a library loaded twice from one path: copy it per tag. Loading the
    same tag again in one process returns the same static state, so the weights are reset
    to the compiled ones (set_schedule() then zeroes every gradient accumulator)."""
    copy = lib_path.parent / f"instance-{tag}.so"
    if not copy.exists():
        shutil.copy2(lib_path, copy)
    model = HostModel(copy)
    model.reset_weights()
    return model
