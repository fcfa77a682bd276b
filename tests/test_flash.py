"""`medyate flash`: the openocd/pyocd command lines, checked with stand-in probe programs
on PATH that record their arguments; without a tool or a probe: exit 2, one line."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from medyate.cli import main


def stand_in(bin_dir: Path, name: str, log: Path, status: int = 0, output: str = "") -> None:
    """A fake `name` that appends its argv (JSON) to log, prints output, exits status."""
    script = bin_dir / name
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv) + '\\n')\n"
        f"sys.stderr.write({output!r})\n"
        f"sys.exit({status})\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def firmware(tmp_path: Path) -> Path:
    elf = tmp_path / "firmware.elf"
    elf.write_bytes(b"\x7fELF")
    return elf


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds only the stand-ins (and python3 for them)."""
    directory = tmp_path / "bin"
    directory.mkdir()
    python = directory / "python3"
    python.symlink_to(os.path.realpath(os.sys.executable))
    monkeypatch.setenv("PATH", str(directory))
    return directory


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line)[1:] for line in log.read_text().splitlines()]


def test_openocd_programs_verifies_and_resets(bin_dir: Path, firmware: Path, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    stand_in(bin_dir, "openocd", log)
    result = CliRunner().invoke(main, ["flash", str(firmware), "--board", "stm32f746g-disco"])
    assert result.exit_code == 0, result.output
    assert calls(log) == [["-f", "board/stm32f746g-disco.cfg",
                           "-c", f"program {firmware.resolve().as_posix()} verify reset exit"]]


def test_pyocd_loads_and_resets_with_the_boards_target(bin_dir: Path, firmware: Path,
                                                       tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    stand_in(bin_dir, "pyocd", log)
    stand_in(bin_dir, "openocd", tmp_path / "unused.jsonl")
    result = CliRunner().invoke(main, ["flash", str(firmware), "--board", "nrf52840-dk",
                                       "--probe", "pyocd"])
    assert result.exit_code == 0, result.output
    assert calls(log) == [["load", "--target", "nrf52840", "--format", "elf",
                           firmware.resolve().as_posix()],
                          ["reset", "--target", "nrf52840"]]
    assert not (tmp_path / "unused.jsonl").exists()


def test_no_tool_on_path_exits_2_with_one_line(bin_dir: Path, firmware: Path) -> None:
    result = CliRunner().invoke(main, ["flash", str(firmware), "--board", "nucleo-f446re"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "no flashing tool found" in result.output
    assert "Traceback" not in result.output


def test_no_probe_connected_exits_2_with_the_tools_error(bin_dir: Path, firmware: Path,
                                                         tmp_path: Path) -> None:
    stand_in(bin_dir, "openocd", tmp_path / "calls.jsonl", status=1,
             output="Open On-Chip Debugger 0.12.0\nError: open failed\n")
    result = CliRunner().invoke(main, ["flash", str(firmware), "--board", "nucleo-f446re"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "openocd could not flash nucleo-f446re" in result.output
    assert "Error: open failed" in result.output


@pytest.mark.parametrize("args, message", [
    (["--board", "mps2-an386"], "is emulated"),
    (["--board", "no-such-board"], "unknown board"),
])
def test_board_errors_are_one_line(bin_dir: Path, firmware: Path, tmp_path: Path,
                                   args: list[str], message: str) -> None:
    stand_in(bin_dir, "openocd", tmp_path / "calls.jsonl")
    result = CliRunner().invoke(main, ["flash", str(firmware), *args])
    assert result.exit_code == 2 and message in result.output
    assert result.output.count("\n") == 1


def test_train_flash_runs_the_probe_before_opening_the_port(bin_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """train --flash: the built ELF goes to the probe, then the (missing) port is opened."""
    from medyate.host_tools.commands import train as train_command
    from medyate.host_tools.device.device_model import DeviceModel

    log = tmp_path / "calls.jsonl"
    stand_in(bin_dir, "openocd", log)
    elf = tmp_path / "built.elf"
    elf.write_bytes(b"\x7fELF")

    class Build:
        artifact = elf

    built = DeviceModel(tmp_path, [], {}, "hash", Build(), False)  # type: ignore[arg-type]
    from medyate.host_tools.device.boards import get_board
    with pytest.raises(Exception, match="cannot open serial port /dev/medyate-none"):
        train_command.open_serial(built, get_board("nucleo-f446re"), "/dev/medyate-none",
                                  115200, True, None, train_command.Console(quiet=True))
    assert calls(log)[0][:2] == ["-f", "board/st_nucleo_f4.cfg"]
    assert elf.resolve().as_posix() in calls(log)[0][3]
