"""Hostile ONNX names never become a compiler error (issue 13 item 3): `*/`, quotes,
backslashes, newlines, trigraphs, non-ASCII, C keywords, leading digits and names that
collide once sanitised, in every node and tensor of a model, and in its file name."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_models import ROLES, save, tiny_model, tiny_plan
from medyate.cli import main
from medyate.codegen.c_names import c_ident, c_text
from medyate.codegen.compiler import compile_model
from medyate.codegen.plan import Plan

INCLUDE = Path(__file__).resolve().parents[1] / "runtime_c" / "include"
CC = shutil.which("cc") or shutil.which("gcc")
# Strict C99 (trigraphs on) with the warnings the host and cross builds turn into errors.
CFLAGS = ["-fsyntax-only", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror",
          "-Wdouble-promotion", "-Wtrigraphs", "-Wcomment"]

#: One of each kind of trouble; several collide once sanitised (a*b, a/b, a_b).
WORST = ['x*/in"put\n', "0conv.w*/", "int", "a/*b", "a*b", "é??=", "a\\", "while", "*/*/",
         'node\r\n"', "??/", "[/]'", "日本/*"]

HOSTILE_PIECES = ["*/", "/*", "//", '"', "'", "\\", "\n", "\r", "\t", "??=", "??/", "?", "%",
                  "#", "é", "日", "\u2028", "\x00", "int", "while", "0", "9", " ", "_", "a", "Z"]
name = st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=6).map("".join) | \
    st.text(min_size=1, max_size=10)
names = st.lists(name, min_size=len(ROLES), max_size=len(ROLES), unique=True)


def _syntax_check(outdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CC, *CFLAGS, f"-I{INCLUDE}", f"-I{outdir}", str(outdir / "model.c")],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CC is None, reason="needs a C compiler")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=names)
def test_generated_c_of_hostile_names_compiles(tmp_path_factory: pytest.TempPathFactory,
                                               names: list[str]) -> None:
    t = tmp_path_factory.mktemp("hostile")
    model = save(tiny_model(names), t / "m.onnx")
    compile_model(model, Plan.from_dict(tiny_plan(names)), t / "out")
    result = _syntax_check(t / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    # the layer names the C library reports are the ONNX names, byte for byte
    text = (t / "out" / "model.c").read_text()
    assert f'{{ "{c_text(names[1])}", "{c_text(names[2])}"' in text


def test_sanitisers() -> None:
    assert c_ident("a*/b é 0") == "a__b___0"
    assert c_text('*/"\\\n??=é') == "*\\057\\042\\134\\012\\077\\077=\\303\\251"
    # an escape is always 3 octal digits: a following digit is not swallowed
    assert c_text("\n1") == "\\0121"
    assert "*/" not in c_text("a*/b") and "/*" not in c_text("a/*b")


def test_worst_names_through_compile_host_and_grad(tmp_path: Path) -> None:
    """The whole path: `compile --target host` builds the library (-Werror) and `grad` on
    the host target equals the reference target, so the escaped names still bind."""
    model = save(tiny_model(WORST), tmp_path / 'hostile m*"é\n.onnx')
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(tiny_plan(WORST)))
    listed = CliRunner().invoke(main, ["import", str(model)])      # "[/]" is not rich markup
    assert listed.exit_code == 0 and "[/]'" in listed.output, listed.output
    out = CliRunner().invoke(main, ["compile", str(model), "--plan", str(plan), "--target", "host",
                                    "-o", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.standard_normal((2, 1, 6, 6)).astype(np.float32))
    np.save(tmp_path / "y.npy", np.array([0, 2]))
    grads = {}
    for target in ("reference", "host"):
        result = CliRunner().invoke(main, ["grad", str(model), "--plan", str(plan), "--inputs",
                                           str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"),
                                           "--target", target, "-o", str(tmp_path / f"{target}.npz")])
        assert result.exit_code == 0, result.output
        grads[target] = dict(np.load(tmp_path / f"{target}.npz"))
    assert set(grads["host"]) == set(grads["reference"]) >= {WORST[1], WORST[2], WORST[6], WORST[7]}
    for key, ref in grads["reference"].items():
        np.testing.assert_allclose(grads["host"][key], ref, rtol=1e-4, atol=1e-5)
