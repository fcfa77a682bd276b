"""The linked side of the whole-device memory breakdown (device_memory.py): the regions
of a linked firmware ELF, the predicted-vs-linked-vs-measured rows that compile, plan
and train report ("device_memory" in memory.json / plan.json), and their table."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from medyate.host_tools.selection.device_memory import FLASH_REGIONS, REGIONS, SRAM_REGIONS, Breakdown


# ------------------------------------------------------------------- linked image
def linked_breakdown(elf_path: Path) -> Breakdown:
    """Bytes per region of a linked firmware ELF: each symbol goes to the region whose
    pattern names it (RAM symbols to SRAM regions, read-only ones to flash regions);
    the rest of .data+.bss is runtime_static, the rest of flash is code."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    from medyate.host_tools.device.firmware_build import elf_section_sizes

    sizes = elf_section_sizes(elf_path)
    regions = {region.name: 0 for region in REGIONS}
    compiled = [(region, re.compile("|".join(f"(?:{p})" for p in region.symbols)))
                for region in REGIONS if region.symbols]
    with open(elf_path, "rb") as handle:
        elf = ELFFile(handle)
        sections = list(elf.iter_sections())
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection), "the firmware ELF has no symbol table"
        for symbol in symtab.iter_symbols():
            if symbol["st_info"]["type"] != "STT_OBJECT" or not symbol["st_size"]:
                continue
            index = symbol["st_shndx"]
            if not isinstance(index, int):
                continue
            in_ram = bool(sections[index]["sh_flags"] & 0x1)    # SHF_WRITE
            memory = "sram" if in_ram else "flash"
            for region, pattern in compiled:
                if region.memory == memory and pattern.fullmatch(symbol.name):
                    regions[region.name] += int(symbol["st_size"])
                    break
    regions["stack"] = sizes.stack_bytes
    regions["runtime_static"] = sizes.static_ram_bytes - sum(
        regions[n] for n in SRAM_REGIONS if n not in ("runtime_static", "stack"))
    regions["code"] = sizes.flash_bytes - sum(regions[n] for n in FLASH_REGIONS if n != "code")
    return Breakdown(regions, "linked", {"elf": str(elf_path)})


# -------------------------------------------------------------------- comparisons
def shortfalls(breakdown: Breakdown, sram_limit: int, flash_limit: int) -> dict[str, int]:
    """Bytes over each limit (only the regions of memory that overflow)."""
    over = {"sram": breakdown.sram_bytes - sram_limit, "flash": breakdown.flash_bytes - flash_limit}
    return {memory: excess for memory, excess in over.items() if excess > 0}


def comparison_rows(predicted: Breakdown, linked: Breakdown | None,
                    measured: Mapping[str, int | None] | None = None) -> list[dict[str, Any]]:
    """One row per region: predicted, linked, (device-)measured where known."""
    rows = []
    for region in REGIONS:
        row = {"region": region.name, "memory": region.memory, "what": region.what,
               "predicted_bytes": predicted.regions[region.name],
               "linked_bytes": linked.regions[region.name] if linked else None,
               "measured_bytes": (measured or {}).get(region.name)}
        rows.append(row)
    return rows


def memory_record(predicted: Breakdown, linked: Breakdown | None, board: Any | None,
                  measured: Mapping[str, int | None] | None = None) -> dict[str, Any]:
    """The "device_memory" entry of memory.json / plan.json."""
    record: dict[str, Any] = {
        "regions": comparison_rows(predicted, linked, measured),
        "predicted": {"sram_bytes": predicted.sram_bytes, "flash_bytes": predicted.flash_bytes},
        "frozen": predicted.details.get("frozen", "fp32"),
    }
    if linked is not None:
        record["linked"] = {"sram_bytes": linked.sram_bytes, "flash_bytes": linked.flash_bytes}
    if board is not None:
        record["board"] = {"name": board.name, "sram_bytes": board.sram_bytes,
                           "flash_bytes": board.flash_bytes}
    return record


def print_breakdown(console: Any, record: Mapping[str, Any], title: str) -> None:
    """A rich table of memory_record(): regions x (predicted, linked, measured) + totals."""
    from rich.table import Table

    rows = record["regions"]
    columns = [("predicted_bytes", "predicted")]
    if any(r["linked_bytes"] is not None for r in rows):
        columns.append(("linked_bytes", "linked (ELF)"))
    if any(r["measured_bytes"] is not None for r in rows):
        columns.append(("measured_bytes", "measured (device)"))
    wide = getattr(console, "width", 120) >= 110
    table = Table(title=title)
    table.add_column("memory")
    table.add_column("region", no_wrap=True)
    if wide:
        table.add_column("what")
    for _, label in columns:
        table.add_column(label, justify="right")
    board = record.get("board")
    for memory in ("sram", "flash"):
        for row in (r for r in rows if r["memory"] == memory):
            table.add_row(memory, row["region"], *([row["what"]] if wide else []),
                          *[_fmt(row[key]) for key, _ in columns])
        peak = (record.get("measured") or {}).get("sram_peak_bytes") if memory == "sram" else None
        totals = [_fmt(peak if key == "measured_bytes" else
                       sum(r[key] for r in rows if r["memory"] == memory)
                       if all(r[key] is not None for r in rows if r["memory"] == memory) else None)
                  for key, _ in columns]
        table.add_row(memory, "total", *([""] if wide else []), *totals,
                      end_section=not board, style="bold")
        if board:
            table.add_row(memory, f"limit: {board['name']}", *([""] if wide else []),
                          *[_fmt(board[memory + "_bytes"])] * len(columns), end_section=True)
    console.print(table)
    if record.get("note"):
        console.print(record["note"])


def _fmt(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
