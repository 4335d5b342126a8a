"""The report of one run: a self-contained HTML page (plotly charts) and an XLSX workbook.

    files = write_report(run.to_json(), {t.name: t.records() for t in plan.tables.all()}, out_dir)

`render_html` and `build_xlsx` are pure (run dict and tables in, text or bytes out);
`write_report` writes both files atomically. A run that lacks an engine's result
still renders: that section is left out with a one-line note.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bastion.files import write_atomic
from bastion.report.html import render_html
from bastion.report.xlsx import build_xlsx

__all__ = ["ReportFiles", "build_xlsx", "render_html", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    """The files written, and their sizes in bytes."""

    html: Path
    xlsx: Path
    html_bytes: int
    xlsx_bytes: int


def write_report(run: dict[str, Any], tables: dict[str, list[dict[str, Any]]], out_dir: Path) -> ReportFiles:
    """Write `report.html` and `report.xlsx` into `out_dir` (created if needed), each atomically."""
    out = Path(out_dir)
    page = render_html(run, tables).encode("utf-8")
    book = build_xlsx(run, tables)
    write_atomic(out / "report.html", page)
    write_atomic(out / "report.xlsx", book)
    return ReportFiles(out / "report.html", out / "report.xlsx", len(page), len(book))
