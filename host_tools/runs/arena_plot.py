"""Draw the arena over time (one rectangle per storage: steps x bytes)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

COLORS = {"input": "#4c72b0", "act": "#55a868", "aux": "#c44e52", "grad": "#8172b2"}


def plot_arena(memory: dict[str, Any], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 5))
    steps = max([p["dies"] for p in memory["placements"]] + [1]) + 1
    pool = memory["channel_pool_bytes"]
    ax.add_patch(Rectangle((0, 0), steps, pool / 1024, color="#dddd88", label="channel pool"))
    for p in memory["placements"]:
        ax.add_patch(Rectangle((p["born"], p["offset"] / 1024), p["dies"] - p["born"] + 1,
                               p["bytes"] / 1024, color=COLORS.get(p["kind"], "grey"),
                               alpha=0.8, ec="black", lw=0.3))
    ax.set_xlim(0, steps)
    ax.set_ylim(0, memory["arena_bytes"] / 1024 * 1.05)
    ax.set_xlabel("training step (kernel call)")
    ax.set_ylabel("arena offset (KiB)")
    ax.set_title(f"arena {memory['arena_bytes']:,} B, lower bound "
                 f"{memory['arena_lower_bound_bytes']:,} B, planner {memory['planner']}")
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in COLORS.values()]
    ax.legend(handles + [Rectangle((0, 0), 1, 1, color="#dddd88")],
              list(COLORS) + ["channel pool"], loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
