"""runtime_c builds cleanly for the Cortex-M4F and links into a cross CMake project.

Skipped when arm-none-eabi-gcc is not installed.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kernel_lib import RUNTIME_DIR, SIGNATURES

ARM_GCC = shutil.which("arm-none-eabi-gcc")
needs_arm = pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc not installed")
M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wdouble-promotion"]
SOURCES = sorted((RUNTIME_DIR / "src").glob("*.c"))
#: internal fast paths the public kernels dispatch to (declared in src/mdy_internal.h)
PATH_SOURCES = sorted((RUNTIME_DIR / "src" / "paths").glob("*.c"))


def test_one_source_file_per_public_kernel() -> None:
    """CMSIS-NN layout: src/<function>.c for every function of kernels.h, each one
    starting with a doc comment."""
    header = "".join((RUNTIME_DIR / "include" / "medyate" / name).read_text()
                     for name in ("kernels.h", "kernels_s8.h"))
    declared = set(re.findall(r"\b(mdy_\w+)\s*\(", header))
    assert declared == set(SIGNATURES), "ctypes table out of date with kernels.h"
    assert {src.stem for src in SOURCES} == declared
    for src in SOURCES + PATH_SOURCES:
        assert src.read_text().startswith("/*\n * " + src.stem), src.name


@needs_arm
@pytest.mark.parametrize("src", SOURCES + PATH_SOURCES, ids=lambda p: p.name)
def test_source_compiles_for_cortex_m4_without_doubles(src: Path, tmp_path: Path) -> None:
    obj = tmp_path / (src.stem + ".o")
    subprocess.run([str(ARM_GCC), *M4_FLAGS, *STRICT, "-I", str(RUNTIME_DIR / "include"),
                    "-c", str(src), "-o", str(obj)], check=True, capture_output=True, text=True)
    nm = shutil.which("arm-none-eabi-nm")
    if nm is None:
        return
    symbols = subprocess.run([nm, "-u", str(obj)], check=True, capture_output=True,
                             text=True).stdout
    # soft-double helpers (__aeabi_d*) or double libm calls would mean a double crept in
    assert "__aeabi_d" not in symbols
    for fn in ("exp", "log", "sqrt"):
        assert not re.search(rf"\b{fn}\b", symbols), f"{src.name} calls double {fn}()"


@needs_arm
@pytest.mark.parametrize("opt", ["-O0", "-Os"])
def test_every_source_compiles_at_other_optimisation_levels(opt: str, tmp_path: Path) -> None:
    """A user's own CMake build may be a debug (-O0) or size (-Os) build: the inline
    assembly must not turn into a compiler error there (at -O0 GCC cannot satisfy the
    larger blocks' register constraints, so those builds take the C twins)."""
    flags = [f for f in STRICT if not f.startswith("-O")] + [opt]
    done = subprocess.run([str(ARM_GCC), *M4_FLAGS, *flags, "-I", str(RUNTIME_DIR / "include"),
                           "-c", *map(str, SOURCES + PATH_SOURCES)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(list(tmp_path.glob("*.o"))) == len(SOURCES + PATH_SOURCES)


@needs_arm
def test_cross_cmake_project_links_static_runtime(tmp_path: Path) -> None:
    """A firmware-style cross build: add_subdirectory(runtime_c) gives the static library
    and no shared one, and an M4 program using a kernel links."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake not installed")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "toolchain.cmake").write_text(
        "set(CMAKE_SYSTEM_NAME Generic)\nset(CMAKE_SYSTEM_PROCESSOR arm)\n"
        "set(CMAKE_C_COMPILER arm-none-eabi-gcc)\n"
        "set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)\n"
        f"set(CMAKE_C_FLAGS_INIT \"{' '.join(M4_FLAGS)}\")\n")
    (project / "main.c").write_text(
        "#include \"medyate/kernels.h\"\n"
        "static float x[4] = {1.0f, 2.0f, 3.0f, 4.0f}, d[4];\n"
        "int main(void) { return (int)mdy_softmax_xent_f32(x, 4, 1, 1.0f, d); }\n")
    (project / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(fw C)\n"
        f"add_subdirectory(\"{RUNTIME_DIR}\" runtime)\n"
        "if(TARGET medyate_runtime_shared)\n  message(FATAL_ERROR \"shared in cross build\")\n"
        "endif()\n"
        "add_executable(fw.elf main.c)\n"
        "target_link_options(fw.elf PRIVATE --specs=nano.specs --specs=nosys.specs)\n"
        "target_link_libraries(fw.elf PRIVATE medyate_runtime)\n")
    build = tmp_path / "build"
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(["cmake", "-S", str(project), "-B", str(build), *generator,
                    f"-DCMAKE_TOOLCHAIN_FILE={project / 'toolchain.cmake'}",
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, capture_output=True, text=True)
    result = subprocess.run(["cmake", "--build", str(build), "-j2"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (build / "fw.elf").exists()
