"""Device == host? Pairs the runs of one experiment config on a device target with the
runs of its host twin (same seeds, same everything but the config's "target") and tells,
per (task, budget, policy, seed), how far the two trajectories part: final accuracy, test
accuracy after every epoch (in points and in test images), training loss, and whether the
two runs trained the same channels.

    python -m medyate.host_tools.experiments.device_vs_host DEVICE.json HOST.json [--out F]

Reads each config's results (default ``<config dir>/results/<config name>/results.jsonl``,
or ``--device-results`` / ``--host-results``), prints the Markdown and writes it to
``<device results>/device_vs_host.md`` plus ``device_vs_host.png`` (accuracy per epoch).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medyate.codegen.errors import MedyateError
from medyate.host_tools.experiments.experiment_report import paired_ci, _verdict

#: run fields that must agree for two runs to be twins (everything but where they ran)
TWIN_FIELDS = ("task", "budget_bytes", "policy", "seed", "epochs", "method")


@dataclass(frozen=True)
class Pair:
    device: dict[str, Any]
    host: dict[str, Any]
    test_images: int

    @property
    def key(self) -> tuple[str, int, str, int]:
        return (self.device["task"], self.device["budget_bytes"], self.device["policy"],
                self.device["seed"])

    def images(self, accuracy: float) -> int:
        """An accuracy as a count of correctly classified test images."""
        return int(round(accuracy * self.test_images))

    @property
    def final_images(self) -> int:
        """device - host, correctly classified test images after the last epoch"""
        return self.images(self.device["final_accuracy"]) - self.images(self.host["final_accuracy"])

    @property
    def epoch_images(self) -> list[int]:
        return [self.images(d) - self.images(h) for d, h in
                zip(self.device["accuracy_per_epoch"], self.host["accuracy_per_epoch"])]

    @property
    def first_divergent_epoch(self) -> int | None:
        """First epoch (1-based) whose test accuracy differs; None if none does."""
        return next((e + 1 for e, d in enumerate(self.epoch_images) if d != 0), None)

    @property
    def loss_relative(self) -> list[float]:
        """|device - host| / |host| training loss per epoch."""
        return [abs(d - h) / max(abs(h), 1e-30) for d, h in
                zip(self.device["train_loss_per_epoch"], self.host["train_loss_per_epoch"])]

    @property
    def same_schedules(self) -> int:
        """Epochs whose schedule cost and channel count are equal on both targets."""
        return sum(dc == hc and dn == hn for dc, hc, dn, hn in
                   zip(self.device["schedule_cost_bytes"], self.host["schedule_cost_bytes"],
                       self.device["channels_per_epoch"], self.host["channels_per_epoch"]))


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise MedyateError(f"no results at {path}: run `medyate experiment` on the config first")
    records = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise MedyateError(f"{path}:{number}: not a JSON line") from None
    return records


def test_images(config: dict[str, Any]) -> dict[str, int]:
    """Test images per task label: test_per_class x the model's classes."""
    from medyate.codegen.frontend import load_graph
    from medyate.host_tools.experiments.experiment import _tasks, resolve_path
    out = {}
    for task in _tasks(config):
        graph = load_graph(resolve_path(task.model))
        out[task.label] = task.test_per_class * int(graph.tensors[graph.output].size)
    return out


def pair_runs(device: list[dict[str, Any]], host: list[dict[str, Any]],
              images: dict[str, int]) -> tuple[list[Pair], list[dict[str, Any]]]:
    """Twins that trained on both targets (device order) and the device runs without one."""
    by_key = {tuple(r[f] for f in TWIN_FIELDS): r for r in host if r.get("status") == "ok"}
    pairs, alone = [], []
    for record in device:
        twin = by_key.get(tuple(record[f] for f in TWIN_FIELDS))
        if record.get("status") == "ok" and twin is not None:
            pairs.append(Pair(record, twin, images[record["task"]]))
        else:
            alone.append(record)
    return pairs, alone


def _pct(accuracy: float) -> str:
    return f"{100 * accuracy:.1f}"


def pairs_markdown(pairs: list[Pair]) -> str:
    lines = ["| task | budget | policy | seed | final acc. % device / host | device - host "
             "(test images) | epochs with equal accuracy | first epoch that differs | "
             "per-epoch diff, images (min..max) | train loss max rel. diff | epochs with "
             "equal schedule size |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in pairs:
        d, h = p.device, p.host
        per_epoch = p.epoch_images
        equal = sum(x == 0 for x in per_epoch)
        first = p.first_divergent_epoch
        lines.append(
            f"| {d['task']} | {d['budget']} | {d['policy']} | {d['seed']} | "
            f"{_pct(d['final_accuracy'])} / {_pct(h['final_accuracy'])} | {p.final_images:+d} "
            f"of {p.test_images} | {equal} of {len(per_epoch)} | {first or 'none'} | "
            f"{min(per_epoch):+d}..{max(per_epoch):+d} | {max(p.loss_relative):.1e} | "
            f"{p.same_schedules} of {len(per_epoch)} |")
    return "\n".join(lines)


def summary_markdown(pairs: list[Pair]) -> str:
    """Per (task, budget, policy): paired device - host final accuracy over the seeds."""
    groups: dict[tuple[str, str, str], list[Pair]] = {}
    for p in pairs:
        groups.setdefault((p.device["task"], p.device["budget"], p.device["policy"]), []).append(p)
    groups[("all", "all", "**pooled**")] = list(pairs)
    lines = ["| task | budget | policy | n | mean acc. % device / host | device - host, points "
             "[95% CI] | mean abs. diff (images) | every epoch: mean / max abs. diff (images) "
             "| largest abs. diff (images) | identical final accuracy |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (task, budget, policy), group in groups.items():
        diffs = [100 * (p.device["final_accuracy"] - p.host["final_accuracy"]) for p in group]
        absolute = [abs(p.final_images) for p in group]
        every_epoch = [abs(d) for p in group for d in p.epoch_images]
        lines.append(
            f"| {task} | {budget} | {policy} | {len(group)} | "
            f"{_pct(np.mean([p.device['final_accuracy'] for p in group]))} / "
            f"{_pct(np.mean([p.host['final_accuracy'] for p in group]))} | "
            f"{_verdict(paired_ci(diffs))} | {np.mean(absolute):.1f} | "
            f"{np.mean(every_epoch):.1f} / {max(every_epoch)} | {max(absolute)} | "
            f"{sum(a == 0 for a in absolute)} of {len(group)} |")
    return "\n".join(lines)


def plot_pairs(pairs: list[Pair], path: Path) -> Path | None:
    """Per policy: test accuracy per epoch, device (dashed) over host (solid), and below it
    the device - host difference in test images, one colour per seed."""
    if not pairs:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    policies = list(dict.fromkeys(p.device["policy"] for p in pairs))
    fig, axes = plt.subplots(2, len(policies), figsize=(4.5 * len(policies), 6), squeeze=False,
                             sharex=True)
    for column, policy in enumerate(policies):
        top, bottom = axes[0][column], axes[1][column]
        for index, p in enumerate(q for q in pairs if q.device["policy"] == policy):
            color, seed = f"C{index % 10}", p.device["seed"]
            epochs = range(1, len(p.device["accuracy_per_epoch"]) + 1)
            top.plot(epochs, 100 * np.asarray(p.host["accuracy_per_epoch"]), "-", color=color,
                     label=f"seed {seed} host")
            top.plot(epochs, 100 * np.asarray(p.device["accuracy_per_epoch"]), "--", color=color,
                     label=f"seed {seed} device")
            bottom.plot(epochs, p.epoch_images, "o-", color=color, markersize=3,
                        label=f"seed {seed}")
        top.set_title(f"{policy} ({pairs[0].device['budget']})", fontsize=9)
        top.set_ylabel("test accuracy (%)")
        bottom.axhline(0, color="grey", linewidth=0.5)
        bottom.set_xlabel("epoch")
        bottom.set_ylabel(f"device - host (test images of {pairs[0].test_images})")
    axes[0][-1].legend(fontsize=6)
    axes[1][-1].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def report(device_config: Path, host_config: Path, device_results: Path | None = None,
           host_results: Path | None = None) -> tuple[str, Path, list[Pair]]:
    """The Markdown comparison, the folder it belongs in (the device results), the pairs."""
    from medyate.host_tools.experiments.experiment import load_config
    configs = [load_config(device_config), load_config(host_config)]
    device_target, host_target = (c.get("target", "host") for c in configs)
    if device_target == host_target:
        raise MedyateError(f"both configs train on {device_target!r}: give a device config "
                           "and its host twin")
    ignored = {"name", "note", "target"}
    differing = sorted(k for k in set(configs[0]) | set(configs[1]) if k not in ignored
                       and configs[0].get(k) != configs[1].get(k))
    if differing:
        raise MedyateError(f"{device_config.name} and {host_config.name} differ in {differing}: "
                           "twins differ only in 'target' (and 'name', 'note')")
    device_dir = device_results or device_config.parent / "results" / device_config.stem
    host_dir = host_results or host_config.parent / "results" / host_config.stem
    device = read_records(device_dir / "results.jsonl")
    host = read_records(host_dir / "results.jsonl")
    pairs, alone = pair_runs(device, host, test_images(configs[0]))
    text = [f"# Device == host? `{device_config.name}` ({device_target}) against "
            f"`{host_config.name}` ({host_target})", "",
            f"{len(pairs)} pairs of runs with the same task, budget, policy, seed and settings, "
            "one on each target. Accuracies are on the same test images; a difference of one "
            "image is 100 / (test images) points.", "",
            "## Final accuracy per policy (paired over seeds)", "", summary_markdown(pairs), "",
            "## Every pair", "", pairs_markdown(pairs), ""]
    if alone:
        text += ["## Runs without a trained twin", ""]
        text += [f"* {r['policy']} {r['budget']} seed {r['seed']}: device {r['status']}"
                 f"{': ' + str(r.get('reason', ''))[:160] if r.get('reason') else ''}" for r in alone]
        text.append("")
    return "\n".join(text), device_dir, pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("device_config", type=Path)
    parser.add_argument("host_config", type=Path)
    parser.add_argument("--device-results", type=Path, help="folder with the device results.jsonl")
    parser.add_argument("--host-results", type=Path, help="folder with the host results.jsonl")
    parser.add_argument("--out", type=Path, help="Markdown file (default: "
                        "<device results>/device_vs_host.md)")
    args = parser.parse_args(argv)
    try:
        text, folder, pairs = report(args.device_config, args.host_config,
                                     args.device_results, args.host_results)
    except MedyateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or folder / "device_vs_host.md"
    out.write_text(text)
    print(text)
    plot_pairs(pairs, out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
