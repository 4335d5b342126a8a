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

Choices where the contract is silent (see also `docs/method.md`):
- `supplies.*.capacity_per_month` left out means unlimited.
- `lines.*.online` left out means the line can produce from month 0.
- `lead_time_months`, `acceptance_months`, `delivery_months` and
  `build_months` are whole months; `ramp_months` may be fractional.
- A bought item (`made: false`) cannot have a bom, and a supplier cannot supply
  a made item.
- `economics` is an optional section added to format v1 (discounting and the
  joint confidence level); files without it are unchanged.
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
)


def type_name(annotation: Any) -> str:
    """A short readable name for a field's type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base = args[0]
        meta = " ".join(repr(m) for m in args[1:])
        if base is str and "pattern" in meta:
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
