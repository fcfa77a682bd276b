"""One progress bar for a sweep: runs done of total, failures, ETA (rich)."""
from __future__ import annotations

from types import TracebackType

from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)


class SweepProgress:
    def __init__(self, total: int, already_done: int, enabled: bool = True) -> None:
        self.failed = 0
        self.progress = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("[red]{task.fields[failed]} failed"),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 disable=not enabled)
        self.task = self.progress.add_task("sweep", total=total, completed=already_done,
                                           failed=0)

    def __enter__(self) -> "SweepProgress":
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.progress.stop()

    def advance(self, failed: bool = False) -> None:
        self.failed += failed
        self.progress.update(self.task, advance=1, failed=self.failed)
