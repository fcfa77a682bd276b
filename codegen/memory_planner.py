"""Place every arena storage of a training program at a byte offset.

Behind one small interface (`plan_arena(storages, pool_bytes, strategy)`), two
strategies: TFLM's greedy-by-size and TinyEngine-style first-fit by birth; the better
of the two is kept. Both respect liveness: two storages whose lifetimes [born, dies]
intersect never overlap in bytes. The channel pool (saved planes + dW slices of the
scheduled channels, laid out at run time) is a permanent region at the start.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .training import Storage

ALIGN = 8


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass
class Placement:
    storage: str
    kind: str
    offset: int
    nbytes: int
    born: int
    dies: int
    #: set for a view inside another storage (see training.Storage.parent)
    parent: str | None = None


@dataclass
class ArenaPlan:
    placements: list[Placement]
    pool_bytes: int
    arena_bytes: int
    lower_bound_bytes: int
    strategy: str

    def offset(self, storage: str) -> int:
        return next(p.offset for p in self.placements if p.storage == storage)

    def check_no_overlap(self) -> None:
        """Raise AssertionError if two storages alive together share a byte."""
        items = sorted(self.placements, key=lambda p: p.offset)
        parent = {p.storage: p.parent for p in self.placements}

        def nested(x: str, y: str) -> bool:       # y is x or one of its ancestors
            while x is not None:
                if x == y:
                    return True
                x = parent[x]  # type: ignore[assignment]
            return False

        for i, a in enumerate(items):
            assert a.offset >= self.pool_bytes and a.offset + a.nbytes <= self.arena_bytes
            for b in items[i + 1:]:
                if b.offset >= a.offset + a.nbytes:
                    break
                if nested(a.storage, b.storage) or nested(b.storage, a.storage):
                    continue
                if a.born <= b.dies and b.born <= a.dies and a.nbytes and b.nbytes:
                    raise AssertionError(f"{a.storage} and {b.storage} overlap while both live")


def _fits(offset: int, size: int, born: int, dies: int, placed: list[Placement]) -> int | None:
    """First offset >= `offset` where [offset, offset+size) is free during [born, dies]."""
    conflicts = sorted((p for p in placed if p.born <= dies and born <= p.dies),
                       key=lambda p: p.offset)
    candidate = offset
    for p in conflicts:
        if candidate + size <= p.offset:
            break
        candidate = max(candidate, _align(p.offset + p.nbytes))
    return candidate


def _place(order: Iterable[Storage], base: int) -> list[Placement]:
    placed: list[Placement] = []
    for s in order:
        size = _align(s.nbytes)
        off = _fits(base, size, s.born, s.dies, placed)
        placed.append(Placement(s.name, s.kind, int(off), size, s.born, s.dies))
    return placed


STRATEGIES: dict[str, Callable[[list[Storage]], list[Storage]]] = {
    "greedy-by-size": lambda ss: sorted(ss, key=lambda s: (-s.nbytes, s.born)),
    "first-fit-by-birth": lambda ss: sorted(ss, key=lambda s: (s.born, -s.nbytes)),
    "greedy-by-lifetime-area": lambda ss: sorted(ss, key=lambda s: -(s.nbytes * (s.dies - s.born + 1))),
}


def _with_views(roots: list[Placement], storages: list[Storage]) -> list[Placement]:
    """The roots' placements plus every view at its parent's offset + its own."""
    by_name = {s.name: s for s in storages}
    offsets = {p.storage: p.offset for p in roots}

    def offset(s: Storage) -> int:
        if s.name not in offsets:
            offsets[s.name] = offset(by_name[s.parent]) + s.offset  # type: ignore[index]
        return offsets[s.name]

    views = [Placement(s.name, s.kind, offset(s), s.nbytes, s.born, s.dies, s.parent)
             for s in storages if s.parent is not None]
    return roots + views


def liveness_lower_bound(storages: list[Storage]) -> int:
    storages = [s for s in storages if s.parent is None]
    if not storages:
        return 0
    horizon = max(s.dies for s in storages) + 1
    live = [0] * (horizon + 1)
    for s in storages:
        for t in range(s.born, s.dies + 1):
            live[t] += _align(s.nbytes)
    return max(live)


def plan_arena(storages: list[Storage], pool_bytes: int, strategy: str = "best") -> ArenaPlan:
    base = _align(pool_bytes)
    names = list(STRATEGIES) if strategy == "best" else [strategy]
    best: ArenaPlan | None = None
    roots = [s for s in storages if s.parent is None]
    for name in names:
        placements = _with_views(_place(STRATEGIES[name](roots), base), storages)
        end = max([p.offset + p.nbytes for p in placements], default=base)
        plan = ArenaPlan(placements, base, end, base + liveness_lower_bound(storages), name)
        if best is None or plan.arena_bytes < best.arena_bytes:
            best = plan
    assert best is not None
    return best
