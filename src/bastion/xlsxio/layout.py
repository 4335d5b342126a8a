"""The workbook's layout: which sheets, which columns, derived from the scenario models.

Every column's documentation, type and limits come from the pydantic models in
`bastion.scenario.model` (the same field docstrings that generate
docs/scenario.md), so a field added to the format appears in the workbook too.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bastion.scenario import model

RANGE_PARTS = ("min", "mode", "max")


@dataclass(frozen=True)
class Column:
    """One column of a table sheet (or one row of a field sheet)."""

    header: str
    """Name in the header cell (before the unit), e.g. `disruption.recovery_months.min`."""
    field: tuple[str, ...]
    """Path of the value inside the row's entity, e.g. ("disruption", "recovery_months")."""
    kind: str
    """text, number, int, bool, month, range, list, map, enum, milestone."""
    doc: str = ""
    unit: str = ""
    part: int | None = None
    """For a range: 0, 1 or 2 (min, mode, max)."""
    lower: tuple[float, bool] | None = None
    """(bound, inclusive)."""
    upper: tuple[float, bool] | None = None
    ref: str | None = None
    """Title of the sheet whose ids fill this column's drop-down."""
    options: tuple[str, ...] = ()
    required: bool = False
    money: bool = False


@dataclass(frozen=True)
class Sheet:
    """One sheet: `fields` (one row per field) or `table` (one row per entity)."""

    title: str
    form: str
    doc: str
    keys: tuple[Column, ...]
    columns: tuple[Column, ...]

    @property
    def all(self) -> tuple[Column, ...]:
        return (*self.keys, *self.columns)


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any], bool]:
    """(base type, every constraint met on the way, optional?) of an annotation."""
    meta: list[Any] = list(metadata)
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotated = typing.get_args(annotation)
            annotation = annotated[0]
            for extra in annotated[1:]:
                meta.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(members) < len(typing.get_args(annotation))
            if len(members) != 1:
                return annotation, meta, optional
            annotation = members[0]
        else:
            return annotation, meta, optional


def _bounds(meta: list[Any]) -> tuple[tuple[float, bool] | None, tuple[float, bool] | None]:
    lower: tuple[float, bool] | None = None
    upper: tuple[float, bool] | None = None
    for m in meta:
        if isinstance(m, annotated_types.Ge):
            lower = (float(m.ge), True)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Gt):
            lower = (float(m.gt), False)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Le):
            upper = (float(m.le), True)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Lt):
            upper = (float(m.lt), False)  # type: ignore[arg-type]
    return lower, upper


Bound = tuple[float, bool]
"""(limit, inclusive?)."""


def number_bounds(annotation: Any, metadata: tuple[Any, ...] = ()) -> tuple[Bound | None, Bound | None]:
    """(lower, upper) limits of a number type, read from its pydantic constraints (the loader's ranges).

    A union (`Consumption`: a number or a mapping) gives the limits of its number member.
    """
    base, meta, _optional = _unwrap(annotation, list(metadata))
    if base in (int, float):
        return _bounds(meta)
    if typing.get_origin(base) in (typing.Union, types.UnionType):
        for member in typing.get_args(base):
            lower, upper = number_bounds(member)
            if lower is not None or upper is not None:
                return lower, upper
    return None, None


def field_bounds(cls: type[BaseModel], name: str, part: int | None = None) -> tuple[Bound | None, Bound | None]:
    """(lower, upper) of the number field `cls.name`; of its mapping's keys (part 0) or values (part 1)."""
    info = cls.model_fields[name]
    if part is None:
        return number_bounds(info.annotation, tuple(info.metadata))
    base, _meta, _optional = _unwrap(info.annotation, [])
    return number_bounds(typing.get_args(base)[part])


def _mapping_bounds(cls: type[BaseModel], name: str, part: int = 1) -> dict[str, Any]:
    """`lower=` and `upper=` of the keys (part 0) or values (part 1) of the mapping field `cls.name`."""
    lower, upper = field_bounds(cls, name, part)
    return {"lower": lower, "upper": upper}


def _is_month(meta: list[Any]) -> bool:
    return "_check_month" in repr(meta)


def _is_triangular(annotation: Any, meta: list[Any]) -> bool:
    return typing.get_origin(annotation) is tuple or "_to_triangular" in repr(meta)


def _is_online(annotation: Any) -> bool:
    return "MilestoneRef" in repr(annotation)


def unit_of(name: str) -> str:
    """The unit shown beside a field's name in its header."""
    if name in ("price", "capex", "variable_cost_per_unit") or name.startswith("capex_per"):
        return "money"
    if name in ("fixed_cost_per_month", "holding_cost_per_month"):
        return "money/month"
    if name.endswith("rate_per_year"):
        return "per year"
    if name.endswith("_months") or name == "months" or name.startswith("duration_months") or "recovery" in name:
        return "months"
    if name in ("capacity_per_month", "units_per_month"):
        return "units/month"
    if name in ("units", "quantity"):
        return "units"
    if name in ("scrap_rate", "learning_rate", "discount_rate", "confidence_level", "confidence"):
        return "share 0-1"
    return ""


def model_columns(cls: type[BaseModel], skip: tuple[str, ...] = (), prefix: tuple[str, ...] = (),
                  parent_doc: str = "") -> list[Column]:
    """Columns for every scalar-like field of `cls`, nested models flattened with dotted names."""
    out: list[Column] = []
    for name, info in cls.model_fields.items():
        if name in skip:
            continue
        path = (*prefix, name)
        header = ".".join(path)
        doc = (info.description or "").strip()
        if parent_doc:
            doc = f"{parent_doc} {doc}"
        base, meta, _optional = _unwrap(info.annotation, list(info.metadata))
        required = info.is_required() and not prefix
        lower, upper = _bounds(meta)
        unit = unit_of(name)
        money = unit.startswith("money")
        if _is_online(base):
            out.append(Column(header, path, "month", doc + " As a month (or give online.milestone).",
                              "month"))
            out.append(Column(f"{header}.milestone", (*path, "milestone"), "milestone",
                              "The programme task whose finish brings the line online (or give online as a month).",
                              ref="Programme"))
        elif isinstance(base, type) and issubclass(base, BaseModel):
            sub_doc = doc if doc else (base.__doc__ or "").strip()
            out.extend(model_columns(base, (), path, sub_doc))
        elif _is_triangular(base, meta):
            inner = typing.get_args(base)
            lo, hi = _bounds(_unwrap(inner[0], [])[1]) if inner else (None, None)
            for k, part in enumerate(RANGE_PARTS):
                out.append(Column(f"{header}.{part}", path, "range", doc, unit, part=k, lower=lo, upper=hi))
        elif typing.get_origin(base) is typing.Literal:
            out.append(Column(header, path, "enum", doc, options=tuple(str(a) for a in typing.get_args(base)),
                              required=required))
        elif typing.get_origin(base) is list:
            out.append(Column(header, path, "list", doc + " Several: separate them with commas.",
                              required=required))
        elif typing.get_origin(base) is dict:
            out.append(Column(header, path, "map", doc + ' Write "id: number, id: number".'))
        elif base is bool:
            out.append(Column(header, path, "bool", doc, options=("TRUE", "FALSE")))
        elif base is int:
            out.append(Column(header, path, "int", doc, unit, lower=lower, upper=upper, required=required))
        elif base is float:
            out.append(Column(header, path, "number", doc, unit, lower=lower, upper=upper, required=required,
                              money=money))
        elif _is_month(meta):
            out.append(Column(header, path, "month", doc, "month", required=required))
        else:
            ref = "Items" if name == "item" else None
            out.append(Column(header, path, "text", doc, ref=ref, required=required))
    return out


def _key(header: str, doc: str, ref: str | None = None) -> Column:
    return Column(header, (), "text", doc, ref=ref, required=True)


def _field_doc(cls: type[BaseModel], name: str) -> str:
    return (cls.model_fields[name].description or "").strip()


def _sheets() -> tuple[Sheet, ...]:
    m = model
    scenario_skip = ("items", "suppliers", "sites", "programme", "customers", "budget", "risks", "economics")
    scenario_cols = [
        *model_columns(m.Scenario, scenario_skip),
        Column("programme.start", ("programme", "start"), "month", _field_doc(m.Programme, "start"), "month"),
    ]
    made_ref = "Items"
    return (
        Sheet("Scenario", "fields", m.Scenario.__doc__ or "", (), tuple(scenario_cols)),
        Sheet("Items", "table", _field_doc(m.Scenario, "items"),
              (_key("id", "Item id (a-z 0-9 - _ .).", None),), tuple(model_columns(m.Item, ("bom",)))),
        Sheet("Bill of materials", "table", _field_doc(m.Item, "bom"),
              (_key("item", "The made item (Items sheet).", made_ref),
               _key("component", "A component item used to make it (Items sheet).", "Items")),
              (Column("quantity", (), "number", "Quantity of the component per GOOD unit made.", "units",
                      required=True, **_mapping_bounds(m.Item, "bom")),)),
        Sheet("Suppliers", "table", _field_doc(m.Scenario, "suppliers"),
              (_key("id", "Supplier id."),), tuple(model_columns(m.Supplier, ("supplies",)))),
        Sheet("Supplies", "table", _field_doc(m.Supplier, "supplies"),
              (_key("supplier", "Supplier id (Suppliers sheet).", "Suppliers"),
               _key("item", "A bought item (Items sheet).", "Items")),
              tuple(model_columns(m.Supply))),
        Sheet("Sites", "table", _field_doc(m.Scenario, "sites"),
              (_key("id", "Site id."),), tuple(model_columns(m.Site, ("lines", "initial_store")))),
        Sheet("Site stores", "table", _field_doc(m.Site, "initial_store"),
              (_key("site", "Site id (Sites sheet).", "Sites"), _key("item", "Item id (Items sheet).", "Items")),
              (Column("units", (), "number", "Units in the site's store at the start of month 0.", "units",
                      required=True, **_mapping_bounds(m.Site, "initial_store")),)),
        Sheet("Lines", "table", _field_doc(m.Site, "lines"),
              (_key("site", "Site id (Sites sheet).", "Sites"), _key("id", "Line id, unique across all sites.")),
              tuple(model_columns(m.Line))),
        Sheet("Customers", "table", _field_doc(m.Scenario, "customers"),
              (_key("id", "Customer id."),),
              tuple(model_columns(m.Customer, ("initial_stock", "consumption", "targets")))),
        Sheet("Customer stocks", "table", _field_doc(m.Customer, "initial_stock"),
              (_key("customer", "Customer id (Customers sheet).", "Customers"),
               _key("item", "Item id (Items sheet).", "Items")),
              (Column("units", (), "number", "Units in the stockpile at the start of month 0.", "units",
                      required=True, **_mapping_bounds(m.Customer, "initial_stock")),)),
        Sheet("Targets", "table", _field_doc(m.Customer, "targets"),
              (_key("customer", "Customer id (Customers sheet).", "Customers"),),
              tuple(model_columns(m.Target))),
        Sheet("Consumption", "table", _field_doc(m.Customer, "consumption"),
              (_key("customer", "Customer id (Customers sheet).", "Customers"),
               _key("item", "Item id (Items sheet).", "Items")),
              (Column("from", ("from",), "month", "Month from which this rate applies; leave empty for one rate over "
                      "the whole horizon (several rows of one customer and item: one per month).", "month"),
               Column("units_per_month", ("units_per_month",), "number", "Units per month drawn from the stockpile.",
                      "units/month", required=True, **_mapping_bounds(m.Customer, "consumption")))),
        Sheet("Programme", "table", _field_doc(m.Programme, "tasks"),
              (_key("id", "Task id; a milestone is a task's finish."),), tuple(model_columns(m.Task))),
        Sheet("Resources", "table", _field_doc(m.Programme, "resources"),
              (_key("id", "Resource id."),),
              (Column("capacity", (), "int", "Units of the resource available at any time.", "",
                      required=True, **_mapping_bounds(m.Programme, "resources")),)),
        Sheet("Risks", "table", _field_doc(m.Scenario, "risks"),
              (_key("id", "Unique id of the risk."),), tuple(model_columns(m.Risk, ("id",)))),
        Sheet("Budget", "table", _field_doc(m.Budget, "capex_per_year"),
              (Column("year", (), "int", "Calendar year.", "", required=True,
                      **_mapping_bounds(m.Budget, "capex_per_year", 0)),),
              (Column("capex_per_year", (), "number", "Most capex of optional lines paid in that year.", "money",
                      required=True, money=True, **_mapping_bounds(m.Budget, "capex_per_year")),)),
        Sheet("Economics", "fields", m.EconomicsSettings.__doc__ or "", (),
              tuple(model_columns(m.EconomicsSettings))),
    )


SHEETS: tuple[Sheet, ...] = _sheets()
BY_TITLE: dict[str, Sheet] = {s.title.lower(): s for s in SHEETS}


def header_text(col: Column, currency: str) -> str:
    """The header cell's text: the field name, then its unit in brackets."""
    unit = col.unit.replace("money", currency) if col.unit else ""
    return f"{col.header} [{unit}]" if unit else col.header


def header_name(text: str) -> str:
    """The field name in a header cell's text (drops the unit and spacing, lower case)."""
    name = text.split("[", 1)[0].split("(", 1)[0].split("\n", 1)[0]
    return "".join(name.split()).lower()


__all__ = ["BY_TITLE", "RANGE_PARTS", "SHEETS", "Bound", "Column", "Sheet", "field_bounds", "header_name",
           "header_text", "model_columns", "number_bounds"]
