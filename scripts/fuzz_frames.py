"""The long frame fuzz: N frames (default 200,000) in rounds of 20,000 against the host
firmware built with -fsanitize=address,undefined; prints each round and fails on any
sanitizer report, crash or hang.

    python scripts/fuzz_frames.py [--frames 200000] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from frame_fuzz import fuzz  # noqa: E402
from medyate.host_tools.device.firmware_build import build_firmware  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    artifact = build_firmware("host", link_runtime=False, sanitize=True).artifact
    done, round_index, started = 0, 0, time.monotonic()
    while done < options.frames:
        count = min(20_000, options.frames - done)
        result = fuzz(artifact, frames=count, seed=options.seed * 1000 + round_index)
        if result.exit_code != 0 or "Sanitizer" in result.report or "runtime error" in result.report:
            print(f"round {round_index}: FAILED (exit {result.exit_code})\n{result.report}")
            sys.exit(1)
        done += count
        round_index += 1
        print(f"{done} frames, {result.bytes_sent} bytes in / {result.bytes_received} out this "
              f"round, no report ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"{done} fuzzed frames: no sanitizer report, no crash, no hang")


if __name__ == "__main__":
    main()
