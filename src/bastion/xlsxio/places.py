"""Where each sheet's rows go in the scenario document (the inverse of `rows.sheet_rows`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bastion.scenario.errors import Path
from bastion.xlsxio.cells import NO_CACHED_VALUE, UNCACHED, as_text, is_blank, number_value, read_cell
from bastion.xlsxio.layout import RANGE_PARTS, Column, Sheet
from bastion.xlsxio.rows import single_value

if TYPE_CHECKING:
    from bastion.xlsxio.read import Reader

Cells = list[tuple[Column, Any, int]]
"""(column, cell value, cell code) of one row, in the sheet's column order."""

_SECTIONS = {
    "Items": ("items",), "Suppliers": ("suppliers",), "Sites": ("sites",), "Customers": ("customers",),
    "Programme": ("programme",), "Risks": ("risks",), "Budget": ("budget",), "Economics": ("economics",),
}
_PARENTS = {
    "Bill of materials": ("items", "item", "Items"), "Supplies": ("suppliers", "supplier", "Suppliers"),
    "Site stores": ("sites", "site", "Sites"), "Lines": ("sites", "site", "Sites"),
    "Customer stocks": ("customers", "customer", "Customers"), "Targets": ("customers", "customer", "Customers"),
    "Consumption": ("customers", "customer", "Customers"),
}
_WHAT = {
    "Items": "item", "Suppliers": "supplier", "Sites": "site", "Customers": "customer", "Lines": "line",
    "Supplies": "supply of", "Programme": "task", "Resources": "resource", "Budget": "year",
    "Bill of materials": "component", "Site stores": "store of", "Customer stocks": "stock of",
}
_LISTS = {"Targets": "targets", "Consumption": "consumption"}
_TOP_ORDER = ("bastion", "name", "description", "classification", "currency", "horizon", "items", "suppliers",
              "sites", "programme", "customers", "budget", "risks", "economics")


def _set(node: dict[str, Any], path: tuple[str, ...], value: Any) -> bool:
    """Put `value` at `path` under `node`; False when a value that is not a mapping is in the way."""
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return False
    if path[-1] in node and isinstance(node[path[-1]], dict) != isinstance(value, dict):
        return False
    if isinstance(value, dict) and isinstance(node.get(path[-1]), dict):
        node[path[-1]].update(value)
    else:
        node[path[-1]] = value
    return True


class Placer:
    """Puts rows into the raw document and records the cell of every path."""

    def __init__(self, reader: Reader, raw: dict[str, Any]) -> None:
        self.reader = reader
        self.raw = raw
        self.first: dict[Path, int] = {}

    @staticmethod
    def section_path(sheet: Sheet) -> Path | None:
        return _SECTIONS.get(sheet.title)

    def _section(self, key: str, empty: Any) -> Any:
        if key not in self.raw:
            self.raw[key] = empty
            order = {k: i for i, k in enumerate(_TOP_ORDER)}
            items = sorted(self.raw.items(), key=lambda kv: order.get(kv[0], -1))
            self.raw.clear()
            self.raw.update(items)
        return self.raw[key]

    # --- field sheets (Scenario, Economics) ----------------------------------------------

    def place_fields(self, sheet: Sheet, values: list[tuple[Column | None, str, Any, int]]) -> None:
        root: Path = () if sheet.title == "Scenario" else ("economics",)
        target: dict[str, Any] = {}
        for col, fname, value, code in values:
            parts = tuple(fname.split(".")) if col is None else col.field
            path = (*root, *parts)
            for cut in range(len(root) + 1, len(path) + 1):
                self.reader.locate(path[:cut], code)
            if is_blank(value):
                continue
            if value is UNCACHED:
                self.reader.problem(path, code, NO_CACHED_VALUE)
                continue
            if col is None:
                parsed: Any = number_value(value) if not isinstance(value, str) else value.strip()
            else:
                parsed, message = read_cell(col, value)
                if message is not None:
                    self.reader.problem(path, code, message)
                    continue
            if not _set(target, parts, parsed):
                self.reader.problem(path, code, f"{fname} conflicts with another field of this sheet")
        if not target:
            return
        if sheet.title == "Scenario":
            for key, value in target.items():
                if isinstance(value, dict) and isinstance(self.raw.get(key), dict):
                    self.raw[key].update(value)
                else:
                    self._section(key, value)
        else:
            self._section("economics", target)

    # --- table sheets --------------------------------------------------------------------

    def _key(self, col: Column, value: Any, code: int, path: Path) -> str | int | None:
        if is_blank(value):
            self.reader.problem(path, code, f"{col.header} is missing: fill it in or delete the row")
            return None
        if value is UNCACHED:
            self.reader.problem(path, code, NO_CACHED_VALUE)
            return None
        if col.header == "year":
            number = number_value(value)
            return number if isinstance(number, int) else as_text(value)
        return as_text(value)

    def _entity(self, path: Path, cells: Cells, key: tuple[int, str]) -> dict[str, Any]:
        """A mapping of the row's fields; ranges put together; the cell of every path recorded."""
        entity: dict[str, Any] = {}
        ranges: dict[tuple[str, ...], list[tuple[Any, int]]] = {}
        self.reader.locate(path, key[0], key)
        for col, value, code in cells:
            full = (*path, *col.field)
            for cut in range(len(path) + 1, len(full) + 1):
                self.reader.locate(full[:cut], code)
            if col.kind == "range":
                ranges.setdefault(col.field, [(None, 0)] * 3)[col.part or 0] = (value, code)
                continue
            if is_blank(value):
                continue
            parsed, message = read_cell(col, value)
            if message is not None:
                self.reader.problem(full, code, message)
            elif not _set(entity, col.field, parsed):
                self.reader.problem(full, code, f"give {col.field[0]} as a month or as {col.field[0]}.milestone, "
                                                "not both")
        for fld, parts in ranges.items():
            given = [not is_blank(v) for v, _ in parts]
            if not any(given):
                continue
            if not all(given):
                gap = given.index(False)
                self.reader.problem((*path, *fld), parts[gap][1],
                                    f"{'.'.join(fld)}.{RANGE_PARTS[gap]} is empty: fill in min, mode and max "
                                    "(the same number three times for a constant)")
                continue
            values = []
            for (v, code), part in zip(parts, RANGE_PARTS, strict=True):
                parsed, message = read_cell(Column(part, fld, "range"), v)
                if message is not None:
                    self.reader.problem((*path, *fld), code, message)
                values.append(parsed)
            _set(entity, fld, values)
        return entity

    def _duplicate(self, path: Path, code: int, what: str) -> bool:
        first = self.first.get(path)
        if first is not None:
            self.reader.problem(path, code, f"{what} is given twice (first at {self.reader.cells[first]})")
            return True
        self.first[path] = code
        return False

    def place_row(self, sheet: Sheet, cells: Cells) -> None:
        nkeys = len(sheet.keys)
        key_cells, value_cells = cells[:nkeys], cells[nkeys:]
        section = self.section_path(sheet) or ()
        keys: list[str | int] = []
        for col, value, code in key_cells:
            key = self._key(col, value, code, section)
            if key is None:
                return
            keys.append(key)
        title = sheet.title
        key_code = key_cells[-1][2]
        key_text = str(keys[-1])
        if title in _PARENTS:
            section_name, what, parent_sheet = _PARENTS[title]
            parents = self.raw.get(section_name)
            if not isinstance(parents, dict) or keys[0] not in parents:
                self.reader.problem((section_name,), key_cells[0][2],
                                    f"unknown {what} {keys[0]}: add it to the {parent_sheet} sheet")
                return
            parent = parents[keys[0]]
            self.reader.locate(self._value_path(title, keys)[:-1] if title not in _LISTS else
                               (section_name, str(keys[0]), _LISTS[title]), key_cells[0][2])
        if single_value(sheet):
            col, value, code = value_cells[0]
            if is_blank(value):
                self.reader.problem(section, code, f"{col.header} is missing: fill it in or delete the row")
                return
            parsed, message = read_cell(col, value)
            path = self._value_path(title, keys)
            if self._duplicate(path, key_code, f"{_WHAT[title]} {' in '.join(str(k) for k in reversed(keys))}"):
                return
            self.reader.locate(path, code, (key_code, key_text))
            if message is not None:
                self.reader.problem(path, code, message)
                return
            container = self._container(title, keys, parent if title in _PARENTS else None)
            container[str(keys[-1]) if not isinstance(keys[-1], int) else keys[-1]] = parsed
            return
        if title == "Consumption":
            self._consumption(keys, value_cells, parent, key_code, key_text)
            return
        if title in ("Targets", "Risks"):
            holder = parent.setdefault("targets", []) if title == "Targets" else self._section("risks", [])
            path = (*(("customers", keys[0], "targets") if title == "Targets" else ("risks",)), len(holder))
            entity = self._entity(path, value_cells, (key_code, key_text))
            if title == "Risks":
                self.reader.locate((*path, "id"), key_code)
                entity = {"id": keys[0], **entity}
            holder.append(entity)
            return
        path = self._value_path(title, keys)
        if self._duplicate(path, key_code, f"{_WHAT[title]} {' at '.join(str(k) for k in reversed(keys))}"):
            return
        entity = self._entity(path, value_cells, (key_code, key_text))
        self._container(title, keys, parent if title in _PARENTS else None)[str(keys[-1])] = entity

    def _value_path(self, title: str, keys: list[str | int]) -> Path:
        k = [str(x) for x in keys]
        return {
            "Items": ("items", *k), "Suppliers": ("suppliers", *k), "Sites": ("sites", *k),
            "Customers": ("customers", *k), "Bill of materials": ("items", k[0], "bom", k[-1]),
            "Supplies": ("suppliers", k[0], "supplies", k[-1]), "Site stores": ("sites", k[0], "initial_store", k[-1]),
            "Lines": ("sites", k[0], "lines", k[-1]), "Customer stocks": ("customers", k[0], "initial_stock", k[-1]),
            "Programme": ("programme", "tasks", k[0]), "Resources": ("programme", "resources", k[0]),
            "Budget": ("budget", "capex_per_year", k[0]),
        }[title]

    def _container(self, title: str, keys: list[str | int], parent: Any) -> dict[Any, Any]:
        if title in ("Items", "Suppliers", "Sites", "Customers"):
            section: dict[Any, Any] = self._section(title.lower(), {})
            return section
        sub = {"Bill of materials": "bom", "Supplies": "supplies", "Site stores": "initial_store", "Lines": "lines",
               "Customer stocks": "initial_stock"}
        if title in sub:
            out: dict[Any, Any] = parent.setdefault(sub[title], {})
            return out
        if title in ("Programme", "Resources"):
            programme = self._section("programme", {})
            out = programme.setdefault("tasks" if title == "Programme" else "resources", {})
            return out
        budget = self._section("budget", {})
        out = budget.setdefault("capex_per_year", {})
        return out

    def _consumption(self, keys: list[str | int], cells: Cells, customer: dict[str, Any], key_code: int,
                     key_text: str) -> None:
        (from_col, month_value, month_code), (units_col, units_value, units_code) = cells[0], cells[1]
        path: Path = ("customers", str(keys[0]), "consumption", str(keys[1]))
        consumption = customer.setdefault("consumption", {})
        current = consumption.get(keys[1])
        if is_blank(units_value):
            self.reader.problem(path, units_code, "units_per_month is missing: fill it in or delete the row")
            return
        units, message = read_cell(units_col, units_value)
        if message is not None:
            self.reader.problem(path, units_code, message)
            return
        if is_blank(month_value):
            if current is not None:
                self.reader.problem(path, key_code, f"consumption of {key_text} is given twice; give a month in "
                                                    "`from` on every row when the rate changes")
                return
            self.reader.locate(path, units_code, (key_code, key_text))
            consumption[keys[1]] = units
            return
        month, message = read_cell(from_col, month_value)
        if message is not None or not isinstance(month, str):
            self.reader.problem(path, month_code, message or f"{as_text(month_value)} is not a month \"YYYY-MM\"")
            return
        if current is not None and not isinstance(current, dict):
            self.reader.problem(path, month_code, f"consumption of {key_text} has a row without a month; give a "
                                                  "month in `from` on every row of this customer and item")
            return
        rates = consumption.setdefault(keys[1], {})
        if month in rates:
            self.reader.problem((*path, month), month_code, f"month {month} is given twice")
            return
        self.reader.locate(path, key_code, (key_code, key_text))
        self.reader.locate((*path, month), units_code, (month_code, month))
        rates[month] = units


__all__ = ["Placer"]
