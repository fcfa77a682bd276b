#!/bin/sh
# The issue-13 acceptance run: `medyate train` (mbv2, 2 epochs, preloaded and streamed
# samples) on QEMU through a fault proxy that drops 0.5% and corrupts 0.5% of the bytes,
# with the link's default settings; weights must equal a clean run bit for bit.
# Several minutes on 2 cores.
cd "$(dirname "$0")/.." && MEDYATE_LONG_TESTS=1 exec python -m pytest tests/test_link_faults.py -q --durations=5 "$@"
