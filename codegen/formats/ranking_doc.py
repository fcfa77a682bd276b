"""ranking.json, format medyate-ranking/1 (docs/ranking.md). The parts the planner and
the policies read are checked strictly: per-layer channel statistics (finite, >= 0) and
the per-layer entries the plot reads."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from .fields import Name, NonNegFloat, NonNegInt, PosInt, Strict, FiniteFloat
from .jsonfile import read_json_file, validate

RANKING_FORMAT = "medyate-ranking/1"

ChannelStats = dict[Name, list[NonNegFloat]]


class RankingLayer(Strict):
    weight: Name
    depth: NonNegInt
    rgn: FiniteFloat
    rgn_rank: PosInt
    lara_rank: PosInt


class RankingDocument(Strict):
    format: Literal["medyate-ranking/1"]
    model: str = ""
    data: str = ""
    stats: ChannelStats
    batch_stats: list[ChannelStats] = Field(default_factory=list)
    layers: list[RankingLayer] = Field(default_factory=list)
    spearman_rgn_lara: FiniteFloat | None = None


def check_ranking(data: Any, where: str = "ranking") -> RankingDocument:
    return validate(RankingDocument, data, where)


def read_ranking(path: str | Path) -> dict[str, Any]:
    """The ranking document (a plain dict, as its users index it), checked."""
    data = read_json_file(path, "ranking")
    check_ranking(data, f"ranking {path}")
    return data
