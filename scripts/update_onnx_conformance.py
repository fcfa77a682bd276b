"""Regenerate the expected outcome of every ONNX node test (tests/onnx_conformance_expected.tsv)
and docs/onnx-support.md from the op registry: one command after adding or changing an op.

    python scripts/update_onnx_conformance.py [--no-host]

Runs every node test whose ops are all in the registry on the reference target and the
host selection (codegen.conformance.host_selection) on the host target, then writes the
docs. Prints the counts per outcome.
"""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

from medyate.codegen import conformance as conf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-host", action="store_true",
                        help="keep the host entries of the current file instead of rebuilding")
    args = parser.parse_args(argv)
    root = conf.ensure_node_tests()
    tests = conf.selected_tests(root)
    results: dict[tuple[str, str], conf.Outcome] = {}
    for name in tests:
        results[("reference", name)] = conf.run_case(root / name)
    reference = {name: results[("reference", name)] for name in tests}
    if args.no_host:
        results.update({k: v for k, (_, v) in conf.read_expected().items() if k[0] == "host"})
    else:
        with tempfile.TemporaryDirectory() as work:
            for name in conf.host_selection(reference, tests, root):
                results[("host", name)] = conf.run_case(root / name, "host", Path(work) / name)
    conf.write_expected(results, tests)
    from medyate.codegen.support_doc import write_support_doc
    write_support_doc()
    for target in conf.TARGETS:
        counts = collections.Counter(o.status for (t, _), o in results.items() if t == target)
        print(f"{target}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    print(f"wrote {conf.EXPECTED_FILE} and docs/onnx-support.md")
    bad = [k for k, o in results.items() if o.status in ("crash", "mismatch")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
