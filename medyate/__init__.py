"""medyate: on-device fine-tuning of ONNX networks with dynamic sparse-channel backprop.

Sub-packages: ``medyate.codegen`` (ONNX import, training IR, reference executor, C
emission) lives in ``codegen/``; ``medyate.host_tools`` (CLI helpers, serial protocol,
targets, schedulers, datasets) lives in ``host_tools/``.
"""
from pathlib import Path

__version__ = "0.1.0"

#: Root of the source checkout (runtime_c/, firmware/ live here).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
