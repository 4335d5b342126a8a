"""Read a workbook into the same raw document a YAML file gives, with a cell for every path.

The document is validated by the scenario loader's own code
(`bastion.scenario.load.validate_tree`); each problem's line is a code that
names a cell, so problems print as `FILE.xlsx:Sheet!C7: path.to.field: message`.
"""

from __future__ import annotations

import difflib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from openpyxl.utils import get_column_letter

from bastion.scenario.errors import Path, ScenarioError, format_path
from bastion.scenario.load import validate_tree
from bastion.scenario.model import Scenario
from bastion.scenario.yamltree import Tree
from bastion.xlsxio.cells import UNCACHED, as_text, is_blank
from bastion.xlsxio.layout import BY_TITLE, SHEETS, Column, Sheet, header_name
from bastion.xlsxio.places import Placer
from bastion.xlsxio.sniff import CellProblem, check_workbook_bytes, file_error

MAX_ROWS = 20_000
"""Rows read per sheet (a scenario has a few hundred)."""
MAX_COLUMNS = 256
"""Columns read per sheet (the widest sheet has about 20)."""
HEADER_SEARCH_ROWS = 10
"""The header row is looked for among a sheet's first rows."""
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ />]")


@dataclass
class Grid:
    """One sheet's values (row 1 first) and its formulas that have no saved value."""

    title: str
    rows: list[tuple[Any, ...]]
    uncached: set[tuple[int, int]] = field(default_factory=set)
    clipped: bool = False
    """The sheet reaches beyond MAX_ROWS or MAX_COLUMNS; what lies there is not read."""


def cell_name(title: str, row: int, column: int) -> str:
    """`Sheet!C7`, the title quoted as Excel quotes it when it is not a plain name."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", title) is not None
    sheet = title if plain else "'" + title.replace("'", "''") + "'"
    return f"{sheet}!{get_column_letter(column)}{row}"


def _has_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                with archive.open(info) as member:
                    if _FORMULA_TAG.search(member.read()):
                        return True
    return False


def read_grids(data: bytes, name: str) -> list[Grid]:
    """Every worksheet's cached values; formulas without a saved value are marked."""
    from openpyxl import load_workbook

    check_workbook_bytes(data, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            grids = [Grid(ws.title, list(ws.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True)),
                          clipped=(ws.max_row or 0) > MAX_ROWS or (ws.max_column or 0) > MAX_COLUMNS)
                     for ws in book.worksheets]
            book.close()
            if _has_formulas(data):
                book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
                for grid, ws in zip(grids, book.worksheets, strict=False):
                    rows = ws.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True)
                    for r, row in enumerate(rows, start=1):
                        if row.count(None) == len(row):
                            continue
                        for c, value in enumerate(row, start=1):
                            if isinstance(value, str) and value.startswith("=") and _blank_at(grid, r, c):
                                grid.uncached.add((r, c))
                book.close()
    except ScenarioError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged file: say so, no traceback
        raise file_error(name, f"cannot read the workbook ({type(error).__name__}: {error})"[:300]) from None
    return grids


def _blank_at(grid: Grid, r: int, c: int) -> bool:
    if r > len(grid.rows) or c > len(grid.rows[r - 1]):
        return True
    return grid.rows[r - 1][c - 1] is None


def _norm_title(title: str) -> str:
    return " ".join(title.split()).lower()


@dataclass
class Reader:
    """Builds the raw document, its cell codes and the problems found on the way."""

    name: str
    cells: list[str] = field(default_factory=lambda: ["workbook"])
    tree: Tree = field(default_factory=lambda: Tree(value={}))
    keys: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def code(self, title: str, row: int, column: int) -> int:
        self.cells.append(cell_name(title, row, column))
        return len(self.cells) - 1

    def problem(self, path: Path, code: int, message: str) -> None:
        self.tree.problems.append((path, code, message))

    def locate(self, path: Path, code: int, key: tuple[int, str] | None = None) -> None:
        """`path` is at the cell `code`; `key`: (code, text) of the cell holding its id."""
        self.tree.lines.setdefault(path, code)
        if key is not None:
            self.keys.setdefault(format_path(path), (code, *key))

    # --- sheets -------------------------------------------------------------------------

    def read(self, grids: list[Grid]) -> dict[str, Any]:
        raw: dict[str, Any] = self.tree.value
        by_title: dict[str, Grid] = {}
        for grid in grids:
            key = _norm_title(grid.title)
            if key not in BY_TITLE:
                self.warnings.append(f'{self.name}: sheet "{grid.title}" is not part of the scenario format; ignored')
            elif key in by_title:
                self.warnings.append(f'{self.name}: a second sheet "{grid.title}" is ignored')
            else:
                by_title[key] = grid
                if grid.clipped:
                    self.warnings.append(f'{self.name}: sheet "{grid.title}" reaches beyond row {MAX_ROWS:,} or column '
                                         f"{get_column_letter(MAX_COLUMNS)}; nothing there is read")
        self.tree.lines[()] = self.code("Scenario", 1, 1)
        placer = Placer(self, raw)
        for sheet in SHEETS:
            found = by_title.get(sheet.title.lower())
            section = placer.section_path(sheet)
            if section is not None:
                self.tree.lines.setdefault(section, self.code(found.title if found else sheet.title, 1, 1))
            if found is None:
                continue
            if sheet.form == "fields":
                self.read_fields(sheet, found, placer)
            else:
                self.read_table(sheet, found, placer)
        return raw

    def _header_row(self, grid: Grid, wanted: str) -> int | None:
        for r, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS], start=1):
            if any(not is_blank(v) and header_name(as_text(v)) == wanted for v in row):
                return r
        return None

    def read_fields(self, sheet: Sheet, grid: Grid, placer: Placer) -> None:
        head = self._header_row(grid, "field")
        if head is None:
            self.problem((), self.code(grid.title, 1, 1), f'sheet {grid.title}: no header row with "field" and "value"')
            return
        names = [header_name(as_text(v)) if not is_blank(v) else "" for v in grid.rows[head - 1]]
        if "value" not in names:
            self.problem((), self.code(grid.title, head, 1), f'sheet {grid.title}: no "value" column')
            return
        fc, vc = names.index("field"), names.index("value")
        known = {c.header: c for c in sheet.columns}
        values: list[tuple[Column | None, str, Any, int]] = []
        seen: dict[str, int] = {}
        for r in range(head + 1, len(grid.rows) + 1):
            row = grid.rows[r - 1]
            if row.count(None) == len(row):
                continue
            fname = as_text(row[fc]) if fc < len(row) and not is_blank(row[fc]) else ""
            value = row[vc] if vc < len(row) else None
            code = self.code(grid.title, r, vc + 1)
            if not fname:
                if not is_blank(value):
                    self.problem((), code, "a value with no field name in column " + get_column_letter(fc + 1))
                continue
            if fname in seen:
                self.problem((), self.code(grid.title, r, fc + 1),
                             f"field {fname} is given twice (first on row {seen[fname]})")
                continue
            seen[fname] = r
            if (r, vc + 1) in grid.uncached:
                value = UNCACHED
            values.append((known.get(fname), fname, value, code))
        placer.place_fields(sheet, values)

    def read_table(self, sheet: Sheet, grid: Grid, placer: Placer) -> None:
        first_key = sheet.keys[0].header
        head = self._header_row(grid, first_key)
        if head is None:
            headers = ", ".join(c.header for c in sheet.all)
            self.problem(placer.section_path(sheet) or (), self.code(grid.title, 1, 1),
                         f"sheet {grid.title}: no header row naming the columns ({headers})")
            return
        known = {c.header: c for c in sheet.all}
        columns: list[tuple[int, Column]] = []
        seen: dict[str, int] = {}
        for c, value in enumerate(grid.rows[head - 1], start=1):
            if is_blank(value):
                continue
            hname = header_name(as_text(value))
            code = self.code(grid.title, head, c)
            if hname in seen:
                first = get_column_letter(seen[hname])
                self.problem((), code, f"column {hname} is given twice (first in column {first})")
                continue
            seen[hname] = c
            col = known.get(hname)
            if col is None:
                if any(c <= len(row) and not is_blank(row[c - 1]) for row in grid.rows[head:]):
                    close = difflib.get_close_matches(hname, list(known), n=1)
                    hint = f" (did you mean {close[0]}?)" if close else ""
                    self.problem((), code, f"unknown column {hname}{hint}; allowed: {', '.join(known)}")
                continue
            columns.append((c, col))
        missing = [k.header for k in sheet.keys if k.header not in seen]
        if missing:
            self.problem(placer.section_path(sheet) or (), self.code(grid.title, head, 1),
                         f"sheet {grid.title}: column {', '.join(missing)} is missing")
            return
        for r in range(head + 1, len(grid.rows) + 1):
            row = grid.rows[r - 1]
            if row.count(None) == len(row):  # an empty row (fast: most of a sparse sheet)
                continue
            cells: list[tuple[Column, Any, int]] = []
            for c, col in columns:
                value = row[c - 1] if c <= len(row) else None
                if (r, c) in grid.uncached:
                    value = UNCACHED
                cells.append((col, value, self.code(grid.title, r, c)))
            if all(is_blank(v) for _, v, _ in cells):
                continue
            placer.place_row(sheet, cells)

    def cell_of(self, code: int, path: str, message: str) -> str:
        """The cell a problem names: the id's cell when the message is about the id."""
        key = self.keys.get(path)
        if key is not None and code == key[0]:
            key_code, text = key[1], key[2]
            about_key = re.search(rf"(?<![\w.-]){re.escape(text)}(?![\w.-])", message) or "own bom" in message
            if about_key:
                return self.cells[key_code]
        return self.cells[code] if 0 <= code < len(self.cells) else "workbook"


def read_scenario(data: bytes, name: str) -> tuple[Scenario, list[str]]:
    """The scenario in a workbook's bytes and the warnings; raise ScenarioError naming cells."""
    grids = read_grids(data, name)
    reader = Reader(name)
    reader.read(grids)
    try:
        scenario = validate_tree(reader.tree, name)
    except ScenarioError as error:
        raise ScenarioError(
            [CellProblem(p.file, p.line, p.path, p.message, reader.cell_of(p.line, p.path, p.message))
             for p in error.problems]
        ) from None
    return scenario, reader.warnings


def load_workbook_scenario(file: str | FsPath) -> tuple[Scenario, list[str]]:
    """Read and validate a scenario workbook (.xlsx); raise ScenarioError naming cells."""
    name = str(file)
    path = FsPath(file)
    try:
        if not path.is_file():
            raise file_error(name, "not a file")
        with path.open("rb") as handle:
            from bastion.xlsxio.sniff import MAX_FILE_BYTES

            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise file_error(name, f"cannot read: {error.strerror}") from None
    return read_scenario(data, name)


__all__ = ["Grid", "Reader", "cell_name", "load_workbook_scenario", "read_grids", "read_scenario"]
