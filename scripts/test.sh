#!/usr/bin/env bash
# Set up everything (idempotent) and run the whole test suite: kernels vs numpy/PyTorch,
# compiler vs onnxruntime/PyTorch, generated C on the host, firmware under QEMU.
#   bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash scripts/install_deps.sh
python3 -m pytest -q -p no:cacheprovider "$@" || status=$?
status=${status:-0}
# pytest exits 5 when no test was collected (e.g. a -k filter that matches nothing)
if [ "$status" -eq 5 ]; then
    echo "no tests collected"
    exit 0
fi
exit "$status"
