"""Generate the format reference (docs/scenario.md) from the models' field docstrings.

Run `python -m bastion.scenario.reference_doc > docs/scenario.md`; a test
checks that the committed file equals this output, so the reference cannot
drift from the code.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from bastion.scenario import model

INTRO = """\
# Scenario file reference (format version 1)

Generated from the models in `src/bastion/scenario/model.py` by
`python -m bastion.scenario.reference_doc`; do not edit by hand. The meaning of
each quantity month by month is in the contract (`shared/design/SCENARIO.md`)
and in `docs/method.md`; the packaged example is `bastion init DIR`.

Conventions:
- Months are written `"YYYY-MM"` (quote them). Month 0 is `horizon.start`.
- Ids are strings of `a-z 0-9 - _ .` and are the keys of mappings.
- Country codes are ISO 3166 alpha-2, upper case; quote `"NO"` (Norway),
  which YAML would otherwise read as a boolean.
- A range is a triangular `[min, mode, max]` in months; a single number `a`
  means `[a, a, a]`.
- Unknown keys are errors. A field with no default below is required.

Types and ranges (checked when the file is read; a value outside them is an
error naming its `FILE:LINE`, exit status 2, before any engine runs):
- A number is a number: `yes`/`true`, a quoted `"40"`, a YAML 1.1 base-60
  `40:00` or `null` where a number is meant are errors (never read as 1, 40,
  2400 or "unlimited"). `1e6` is a number in YAML as in JSON. A flag
  (`made`, `optional`) is `true` or `false`, nothing else. `bastion` is the
  integer `1` (not `1.0` or `true`).
- `null` (or `~`, or a key with nothing after it) is never a value: leave the
  key out for its default. YAML tags (`!foo`, `!!binary`, ...) other than
  the plain `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq`,
  `!!map` and `!!timestamp` are errors.
- Quantities, prices and money (capacities, stocks, consumption, target
  units, costs, capex, budgets): 0 <= x < 1e15. A bom quantity per good
  unit is 0 to 1e6 (write a coarser unit beyond that), so that with
  `scrap_rate` <= 0.99 no coefficient of the plan's model passes 1e8 and
  every one stays inside the solver's limits.
- Months: horizon 1 to 1200; every duration, delay and ramp 0 to 1200
  months; `lead_time_months`, `acceptance_months`, `delivery_months` and
  `build_months` are whole, and a lead time, acceptance or delivery time is
  at most the horizon's length (else nothing it delays could arrive). Rates per year of disruptions, outages, surges
  and risks: 0 to 120 (ten events a month on average: far beyond any
  real node, yet each event still spans whole 0.01-month steps of the
  simulator; a node that is down most of the time is better written as a
  lower capacity). `priority`: a whole number 1 to 100. Programme resource
  capacities and uses: whole numbers 0 to 1000. `scrap_rate` 0 to 0.99,
  `learning_rate` 0.01 to 1, surge `factor` 0 to 1000.
- Each value is checked on its own. A scenario with many values near their
  limits at once (prices, unit and holding costs all near 1e9 beside
  amounts near 1e15) can pass the solver's numerical precision: a command
  then says `FILE: the solver gave no plan: ...` and exits 1, never with a
  traceback and never with exit 3.
- Texts are valid Unicode (a lone surrogate such as `"\\ud800"` is an
  error): `currency` 1 to 12 characters, `description` at most 20,000, every
  other text at most 1,000. A JSON integer longer than 30 digits is out of
  every range.
- No id is listed twice in one list (`makes`, `after`, `applies_to`,
  `releasable_to`), and an
  id names one thing only: no item, supplier, site, line, task, customer or
  risk shares another's id.

Choices where the contract is silent (see also `docs/method.md`):
- `supplies.*.capacity_per_month` left out means unlimited.
- `lines.*.online` left out means the line can produce from month 0.
- `lead_time_months`, `acceptance_months`, `delivery_months` and
  `build_months` are whole months; `ramp_months` may be fractional.
- A bought item (`made: false`) cannot have a bom, and a supplier cannot supply
  a made item.
- `economics` is an optional section added to format v1 (discounting and the
  joint confidence level); files without it are unchanged.
- `releasability` is an optional section added to format v1: `level` (one of
  UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET; UNCLASSIFIED if left out),
  `owner` and `releasable_to` as ISO 3166-1 alpha-3 nation codes. A nation
  code is checked for its form only (three upper-case letters A-Z, e.g.
  `LVA`), not against the list of assigned codes. `releasable_to` lists each
  nation once and not the owner. `bastion serve` enforces it (the creator's
  nation is the owner if left out; see `docs/server.md`). Every output's
  marking (terminal, JSON `classification`, report, workbook) then reads
  `CLASSIFICATION // LEVEL // REL TO OWNER, OTHERS` (`LEVEL // OWNER ONLY`
  when `releasable_to` is empty; no owner written: `REL TO OTHERS`, or the
  level alone); a classification that is itself a level name is not
  repeated, the higher of the two is shown: `RESTRICTED // REL TO LVA, EST`.
  Files without it are unchanged.
"""

ORDER: tuple[type[BaseModel], ...] = (
    model.Scenario,
    model.Horizon,
    model.Item,
    model.Supplier,
    model.Supply,
    model.Disruption,
    model.Site,
    model.Line,
    model.MilestoneRef,
    model.Programme,
    model.Task,
    model.Customer,
    model.Target,
    model.Surge,
    model.Budget,
    model.Risk,
    model.AppliesTo,
    model.EconomicsSettings,
    model.Releasability,
)


def type_name(annotation: Any) -> str:
    """A short readable name for a field's type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base = args[0]
        meta = " ".join(repr(m) for m in args[1:])
        if base is str and "pattern='" in meta:
            if "{3}" in meta:
                return "nation"
            return "country" if "A-Z" in meta else "id"
        if "_check_month" in meta:
            return "month"
        if typing.get_origin(base) is tuple or "_to_triangular" in meta:
            return "range"
        if "ge=" in meta or "gt=" in meta:
            return type_name(base) + (" >= 0" if "ge=0" in meta.replace(" ", "") else "")
        return type_name(base)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in args if a is not type(None))
    if origin is dict:
        return f"mapping {type_name(args[0])} -> {type_name(args[1])}"
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if isinstance(annotation, type):
        return {"str": "text", "float": "number", "int": "integer", "bool": "true/false"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation)


def field_type(field: Any) -> str:
    """The readable type of a pydantic field (its metadata holds the Annotated extras)."""
    if field.metadata:
        return type_name(typing.Annotated[(field.annotation, *field.metadata)])
    return type_name(field.annotation)


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is PydanticUndefined:
        return ""
    if value is None:
        return "none"
    if value in ({}, []):
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`[" + ", ".join(f"{v:g}" for v in value) + "]`"
    if value == "":
        return '""'
    return f"`{value}`"


def render() -> str:
    """The whole reference as Markdown."""
    parts = [INTRO]
    for cls in ORDER:
        parts.append(f"\n## {cls.__name__}\n\n{(cls.__doc__ or '').strip()}\n")
        parts.append("| field | type | default | meaning |\n|---|---|---|---|")
        for name, field in cls.model_fields.items():
            text = (field.description or "").replace("|", "\\|").replace("\n", " ")
            parts.append(f"| `{name}` | {field_type(field)} | {_default(field)} | {text} |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
