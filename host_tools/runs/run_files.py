"""The files of a `medyate train` RUNDIR (architecture.md, "RUNDIR of medyate train").

    run = RunFiles(rundir)
    run.append_metrics({...}); run.append_schedule(schedule_json)
    run.write_memory(compile_memory, build_sizes, device_report)
    run.write_finetuned(model_path, graph, layers, trained)   # after every epoch
"""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import onnx
from onnx import numpy_helper

from medyate.codegen.const_weights import constants_as_initializers
from medyate.codegen.errors import MedyateError
from medyate.codegen.ir import Graph
from medyate.codegen.plan import TrainLayer
from medyate.host_tools.device.firmware_build import SectionSizes
from medyate.host_tools.device.messages import MemoryReport

#: ONNX protobufs cannot exceed 2 GiB; beyond that weights go to an external file.
PROTOBUF_LIMIT_BYTES = 2 ** 31 - 1


class RunFiles:
    """fresh=False (a resumed run) keeps the logs written so far."""

    def __init__(self, rundir: Path, *, fresh: bool = True) -> None:
        self.rundir = Path(rundir)
        try:
            self.rundir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MedyateError(f"cannot create run directory {rundir}: {exc}") from None
        self.metrics = self.rundir / "metrics.jsonl"
        self.schedules = self.rundir / "schedules.jsonl"
        self.memory = self.rundir / "memory.json"
        self.finetuned = self.rundir / "finetuned.onnx"
        self.config = self.rundir / "config.json"
        self.checkpoint = self.rundir / "checkpoint.json"
        self.checkpoint_weights = self.rundir / "checkpoint.npz"
        self.checkpoint_policy = self.rundir / "checkpoint-policy.pkl"
        for path in (self.metrics, self.schedules):   # a run starts its logs afresh
            if fresh or not path.exists():
                path.write_text("")

    # ------------------------------------------------------------ replay and resume
    def write_config(self, config: Mapping[str, Any]) -> None:
        _replace_text(self.config, json.dumps(config, indent=1) + "\n")

    def write_checkpoint(self, state: Mapping[str, Any], weights: Mapping[str, np.ndarray],
                         policy: Any) -> None:
        """The state after a finished epoch: what --resume continues from. The policy is
        pickled (importance, statistics, RNG): a run folder is trusted local state."""
        tmp = self.checkpoint_weights.with_name("checkpoint.tmp.npz")
        np.savez(tmp, **weights)
        os.replace(tmp, self.checkpoint_weights)
        tmp = self.checkpoint_policy.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(policy))
        os.replace(tmp, self.checkpoint_policy)
        _replace_text(self.checkpoint, json.dumps(dict(state), indent=1) + "\n")

    def read_checkpoint(self) -> tuple[dict[str, Any], dict[str, np.ndarray], Any] | None:
        """(state, weights, policy) of the last finished epoch, or None before the first."""
        if not self.checkpoint.is_file():
            return None
        try:
            state = json.loads(self.checkpoint.read_text())
            with np.load(self.checkpoint_weights) as archive:
                weights = {name: archive[name] for name in archive.files}
            policy = pickle.loads(self.checkpoint_policy.read_bytes())
        except (OSError, ValueError, pickle.UnpicklingError, EOFError) as exc:
            raise MedyateError(f"cannot resume from {self.rundir}: damaged checkpoint "
                               f"({exc})") from None
        return state, weights, policy

    def truncate_logs(self, epochs: int) -> None:
        """Keeps the metrics and schedules of the first `epochs` epochs only."""
        for path in (self.metrics, self.schedules):
            lines = [line for line in path.read_text().splitlines() if line.strip()]
            kept = [line for line in lines if json.loads(line).get("epoch", 0) < epochs]
            _replace_text(path, "".join(line + "\n" for line in kept))

    @staticmethod
    def _append(path: Path, record: Mapping[str, Any]) -> None:
        with open(path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()

    def append_metrics(self, record: Mapping[str, Any]) -> None:
        self._append(self.metrics, record)

    def append_schedule(self, record: Mapping[str, Any]) -> None:
        self._append(self.schedules, record)

    def write_memory(self, compiled: Mapping[str, Any], sizes: SectionSizes | None,
                     measured: MemoryReport | None, *, target: str, full_memory: bool,
                     device_memory: Mapping[str, Any] | None = None) -> dict:
        """Compile-time figures beside the device-measured ones (None where not measured).
        device_memory (memory_report.memory_record: predicted and linked per region) gets
        the device's measured stack high-water and peak SRAM added as "device_memory"."""
        record: dict[str, Any] = {
            "target": target,
            "arena_bytes": compiled["arena_bytes"],
            "arena_lower_bound_bytes": compiled["arena_lower_bound_bytes"],
            "channel_pool_bytes": compiled["channel_pool_bytes"],
            "budget_bytes": compiled.get("budget_bytes"),
            "ram_weight_bytes": compiled.get("ram_weight_bytes"),
            "flash_bytes": sizes.flash_bytes if sizes else None,
            "static_ram_bytes": sizes.static_ram_bytes if sizes else None,
            "reserved_stack_bytes": sizes.stack_bytes if sizes else None,
            "linked_with_full_emulated_memory": full_memory,
            "measured_stack_bytes": None, "measured_peak_sram_bytes": None,
        }
        if measured is not None:
            record["measured_stack_bytes"] = (measured.stack_used_bytes
                                              if measured.stack_measured else None)
            record["measured_peak_sram_bytes"] = (measured.peak_sram_bytes
                                                  if measured.stack_measured else None)
            record["device_static_ram_bytes"] = measured.static_ram_bytes
            record["device_ram_limit_bytes"] = measured.ram_bytes
        if device_memory is not None:
            record["device_memory"] = with_measured(device_memory, record)
        _replace_text(self.memory, json.dumps(record, indent=1) + "\n")
        return record

    def write_finetuned(self, model: Path, graph: Graph, layers: list[TrainLayer],
                        trained: Mapping[int, tuple[np.ndarray, np.ndarray | None]]) -> Path:
        """The input model with trained IR weights written back onto its initializers.
        trained: layer index -> (IR weight, IR bias or None), flat or shaped."""
        proto = onnx.load(str(model))          # loads external data into the proto too
        proto = constants_as_initializers(proto)   # as the importer saw the weights
        by_name = {init.name: init for init in proto.graph.initializer}
        for layer in layers:
            if layer.index not in trained:
                continue
            weight, bias = trained[layer.index]
            updates = [(layer.weight, weight)]
            if bias is not None and layer.bias is not None and layer.train_bias:
                updates.append((layer.bias, bias))
            for ir_name, after in updates:
                tensor = graph.tensors[ir_name]
                binding = tensor.binding
                assert binding is not None and tensor.data is not None
                init = by_name[binding.onnx_name]
                orig = numpy_helper.to_array(init)
                new = binding.write_back(orig, tensor.data, np.asarray(after).reshape(tensor.shape))
                init.CopyFrom(numpy_helper.from_array(new.astype(orig.dtype), init.name))
        tmp = self.finetuned.with_suffix(".onnx.tmp")
        external = proto.ByteSize() > PROTOBUF_LIMIT_BYTES
        onnx.save_model(proto, str(tmp), save_as_external_data=external,
                        location=self.finetuned.name + ".data" if external else None)
        os.replace(tmp, self.finetuned)   # an interrupted write never leaves half a model
        return self.finetuned


def _replace_text(path: Path, text: str) -> None:
    """Writes beside and renames: a reader (or a crash) never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def with_measured(device_memory: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """device_memory with the device's measurement: the stack region's high-water mark
    and the measured peak SRAM (static RAM + stack high-water); None where not measured."""
    result = json.loads(json.dumps(device_memory))          # a deep copy
    stack = record.get("measured_stack_bytes")
    for row in result["regions"]:
        row["measured_bytes"] = stack if row["region"] == "stack" else None
    result["measured"] = {"sram_peak_bytes": record.get("measured_peak_sram_bytes"),
                          "stack_high_water_bytes": stack,
                          "note": "measured on the device: static RAM (.data+.bss) + painted-"
                                  "stack high-water; the other regions are the linked ELF's"}
    return result
