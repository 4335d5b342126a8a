"""A scenario's data as the rows of each sheet (the inverse of `read.place_row`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bastion.xlsxio.layout import Column, Sheet

Row = tuple[list[Any], Any]
"""(key values, entity): the entity is a mapping of fields, or the one value of a single-value sheet."""


def _entities(section: Any) -> Iterator[tuple[str, Any]]:
    yield from (section or {}).items()


def sheet_rows(sheet: Sheet, data: dict[str, Any]) -> list[Row]:
    """The rows of `sheet` for a scenario dumped with `model_dump(mode="json", exclude_none=True)`."""
    title = sheet.title
    programme = data.get("programme") or {}
    out: list[Row] = []
    if title == "Scenario":
        out.append(([], {**data, "programme": {"start": programme["start"]} if "start" in programme else {}}))
    elif title == "Economics":
        if data.get("economics") is not None:
            out.append(([], data["economics"]))
    elif title in ("Items", "Suppliers", "Sites", "Customers"):
        out.extend(([key], entity) for key, entity in _entities(data.get(title.lower())))
    elif title == "Bill of materials":
        for iid, item in _entities(data.get("items")):
            out.extend(([iid, comp], qty) for comp, qty in item.get("bom", {}).items())
    elif title == "Supplies":
        for sid, supplier in _entities(data.get("suppliers")):
            out.extend(([sid, iid], supply) for iid, supply in supplier.get("supplies", {}).items())
    elif title == "Site stores":
        for sid, site in _entities(data.get("sites")):
            out.extend(([sid, iid], units) for iid, units in site.get("initial_store", {}).items())
    elif title == "Lines":
        for sid, site in _entities(data.get("sites")):
            out.extend(([sid, lid], line) for lid, line in site.get("lines", {}).items())
    elif title == "Customer stocks":
        for cid, customer in _entities(data.get("customers")):
            out.extend(([cid, iid], units) for iid, units in customer.get("initial_stock", {}).items())
    elif title == "Targets":
        for cid, customer in _entities(data.get("customers")):
            out.extend(([cid], target) for target in customer.get("targets", []))
    elif title == "Consumption":
        for cid, customer in _entities(data.get("customers")):
            for iid, rate in customer.get("consumption", {}).items():
                if isinstance(rate, dict):
                    out.extend(([cid, iid], {"from": month, "units_per_month": units}) for month, units in rate.items())
                else:
                    out.append(([cid, iid], {"units_per_month": rate}))
    elif title == "Programme":
        out.extend(([tid], task) for tid, task in _entities(programme.get("tasks")))
    elif title == "Resources":
        out.extend(([rid], units) for rid, units in _entities(programme.get("resources")))
    elif title == "Risks":
        out.extend(([risk["id"]], risk) for risk in data.get("risks", []))
    elif title == "Budget":
        budget = data.get("budget") or {}
        out.extend(([int(year)], amount) for year, amount in budget.get("capex_per_year", {}).items())
    return out


def single_value(sheet: Sheet) -> bool:
    """True for a sheet whose rows hold one value each (bom quantities, stocks, budget)."""
    return sheet.title in ("Bill of materials", "Site stores", "Customer stocks", "Resources", "Budget")


def field_value(col: Column, entity: Any) -> Any:
    """The value of `col` in a row's entity (None when left out)."""
    if not isinstance(entity, dict):
        return entity
    node: Any = entity
    for part in col.field:
        if isinstance(node, str) and part == "milestone":
            return None  # online given as a month
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if col.kind == "month" and isinstance(node, dict):
        return None  # online given as a milestone
    return node


__all__ = ["Row", "field_value", "sheet_rows", "single_value"]
