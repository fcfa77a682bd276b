"""A `medyate train` RUNDIR that is never half-written and never silently replaced.

    folder = RunFolder(rundir, overwrite=False, resume=False)
    folder.check()                 # after every argument is validated, before any write
    run = RunFiles(folder.work)    # the run writes into a private sibling folder
    ...
    folder.publish()               # after each finished epoch: RUNDIR swapped atomically
    folder.discard()               # always (finally): the work folder goes

The work folder is `.RUNDIR.work-XXXX` beside RUNDIR (same file system). publish() copies
it into `.RUNDIR.next-XXXX` and swaps that for RUNDIR with two renames; a crash between
them leaves a complete `.RUNDIR.next-*`, which the next check() moves into place. So
RUNDIR always holds either the previous state or a whole finished epoch, and a run that
fails before its first epoch leaves RUNDIR exactly as it was.
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

from medyate.codegen.errors import MedyateError

#: Files whose presence marks a folder as a medyate run.
RUN_MARKERS = ("config.json", "metrics.jsonl", "finetuned.onnx")


class RunFolderError(MedyateError):
    """RUNDIR cannot be used as asked (exists, not a folder, nothing to resume)."""


class RunFolder:
    def __init__(self, rundir: Path, *, overwrite: bool = False, resume: bool = False) -> None:
        self.rundir = Path(rundir)
        self.overwrite, self.resume = overwrite, resume
        self._work: Path | None = None

    # ---------------------------------------------------------------- checks
    def _siblings(self, kind: str) -> list[Path]:
        parent = self.rundir.parent
        if not parent.is_dir():
            return []
        return sorted(parent.glob(f".{self.rundir.name}.{kind}-*"))

    def _recover(self) -> None:
        """A crash between publish()'s two renames left RUNDIR missing: put it back."""
        if self.rundir.exists():
            return
        candidates = [p for p in self._siblings("next") if (p / ".complete").is_file()]
        if candidates:
            os.rename(max(candidates, key=lambda p: p.stat().st_mtime), self.rundir)
            (self.rundir / ".complete").unlink()

    def check(self) -> None:
        """Refuses a RUNDIR that holds anything unless --overwrite or --resume."""
        self._recover()
        if self.rundir.exists() and not self.rundir.is_dir():
            raise RunFolderError(f"run folder {self.rundir} is not a directory")
        if self.resume:
            if not (self.rundir / "config.json").is_file():
                raise RunFolderError(f"nothing to resume in {self.rundir}: no config.json")
            return
        if self.rundir.is_dir() and any(self.rundir.iterdir()) and not self.overwrite:
            raise RunFolderError(
                f"run folder {self.rundir} is not empty: pass --overwrite to replace it or "
                f"--resume {self.rundir} to continue it")
        if not self.rundir.parent.exists():
            try:
                self.rundir.parent.mkdir(parents=True)
            except OSError as exc:
                raise RunFolderError(f"cannot create {self.rundir.parent}: {exc}") from None

    # ---------------------------------------------------------------- the work folder
    @property
    def work(self) -> Path:
        """The private folder the run writes to (a copy of RUNDIR when resuming)."""
        if self._work is None:
            try:
                self._work = Path(tempfile.mkdtemp(prefix=f".{self.rundir.name}.work-",
                                                   dir=self.rundir.parent))
            except OSError as exc:
                raise RunFolderError(f"cannot write beside {self.rundir}: {exc}") from None
            if self.resume:
                for item in self.rundir.iterdir():
                    _copy(item, self._work / item.name)
        return self._work

    def publish(self) -> None:
        """Makes RUNDIR an exact copy of the work folder, atomically (two renames); Ctrl-C,
        SIGTERM and SIGHUP wait until it is done."""
        blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            self._publish()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _publish(self) -> None:
        work = self.work
        staged = Path(tempfile.mkdtemp(prefix=f".{self.rundir.name}.next-",
                                       dir=self.rundir.parent))
        for item in work.iterdir():
            _copy(item, staged / item.name)
        (staged / ".complete").write_bytes(b"")
        old = None
        if self.rundir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.rundir.name}.old-",
                                        dir=self.rundir.parent))
            os.rmdir(old)
            os.rename(self.rundir, old)
        os.rename(staged, self.rundir)
        (self.rundir / ".complete").unlink()
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None


#: Files only ever replaced whole (os.replace), never edited in place: safe to hard-link.
LINKABLE_SUFFIXES = (".onnx", ".data", ".npz")


def _copy(source: Path, target: Path) -> None:
    """Copies, hard-linking the large files that are only ever replaced whole."""
    if source.is_dir():
        shutil.copytree(source, target, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(source), str(target))


def _link_or_copy(source: str, target: str) -> None:
    if not source.endswith(LINKABLE_SUFFIXES):
        shutil.copy2(source, target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
