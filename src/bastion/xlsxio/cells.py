"""Cell values to the values a scenario file holds, and back.

Reading accepts what spreadsheet users really type: numbers stored as text,
thousands separators, trailing spaces, dates as dates, as "YYYY-MM" text or as
Excel serial numbers, TRUE/FALSE as booleans or as text. A value that cannot be
read is passed on as it is, so the scenario loader reports it with its usual
message.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bastion.xlsxio.layout import Column

EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 10_000, 2_958_465  # 1927-05-18 .. 9999-12-31: a number this large in a month cell
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED_COMMA = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_GROUPED_SPACE = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f']\d{3})+([.,]\d+)?")
_MONTH_TEXT = re.compile(r"(\d{4})[-/.](\d{1,2})([-/.]\d{1,2}([ T].*)?)?")
NO_CACHED_VALUE = ("a formula with no saved value: open the workbook in Excel or LibreOffice, "
                   "recalculate (F9) and save it")


class Uncached:
    """A formula cell that has no saved value (openpyxl reads it as empty)."""

    def __repr__(self) -> str:
        return "UNCACHED"


UNCACHED = Uncached()
_TRUE = frozenset({"true", "yes", "y", "1", "x"})
_FALSE = frozenset({"false", "no", "n", "0"})


def is_blank(value: Any) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def tidy_number(value: float | int) -> float | int:
    """An integral float as an int (2.0 -> 2); other numbers unchanged."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def parse_number(text: str) -> float | int | None:
    """A number typed as text ("1,200", "1 200", " 7.5 "), or None."""
    s = text.strip().replace("\u2212", "-")
    if _GROUPED_COMMA.fullmatch(s):
        s = s.replace(",", "")
    elif _GROUPED_SPACE.fullmatch(s):
        s = re.sub(r"[ \u00a0\u202f']", "", s).replace(",", ".")
    if not _NUMBER.fullmatch(s):
        return None
    number = float(s)
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return tidy_number(number)


def as_text(value: Any) -> str:
    """What a cell shows as text (numbers without a trailing .0)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | int):
        return repr(tidy_number(value)) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value).strip()


def month_text(value: Any) -> Any:
    """A month cell as "YYYY-MM" where it can be read as one; else the value unchanged."""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int | float) and not isinstance(value, bool) and _SERIAL_MIN <= value <= _SERIAL_MAX:
        day = _EXCEL_EPOCH + dt.timedelta(days=float(value))
        return f"{day.year:04d}-{day.month:02d}"
    if isinstance(value, float):
        return tidy_number(value)
    if isinstance(value, str):
        text = value.strip()
        match = _MONTH_TEXT.fullmatch(text)
        if match is not None and 1 <= int(match.group(2)) <= 12:
            return f"{match.group(1)}-{int(match.group(2)):02d}"
        number = parse_number(text)
        if number is not None and _SERIAL_MIN <= number <= _SERIAL_MAX:
            return month_text(number)
        return text
    return value


def number_value(value: Any) -> Any:
    """A number cell as an int or float where it can be read as one; else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return tidy_number(value)
    if isinstance(value, str):
        number = parse_number(value)
        return value.strip() if number is None else number
    return value


def bool_value(value: Any) -> Any:
    """TRUE/FALSE as booleans, also typed as text (yes/no) or as 1/0; else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return value.strip()
    return value


def split_list(value: Any) -> list[str]:
    """Ids separated by commas, semicolons or line breaks."""
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return [part.strip() for part in re.split(r"[,;\n]", as_text(value)) if part.strip()]


def parse_map(value: Any) -> tuple[dict[str, Any], str | None]:
    """ "engineering: 1, test-range: 2" -> ({...}, None); (partial, message) when malformed."""
    out: dict[str, Any] = {}
    for part in split_list(value):
        key, sep, number = part.partition(":")
        if not sep or not key.strip() or not number.strip():
            return out, f'"{part}" is not "id: number"; write e.g. "engineering: 1, test-range: 2"'
        if key.strip() in out:
            return out, f"{key.strip()} is given twice"
        out[key.strip()] = number_value(number)
    return out, None


def read_cell(col: Column, value: Any) -> tuple[Any, str | None]:
    """A non-blank cell's value as the scenario file would hold it, or a message for what is wrong."""
    if value is UNCACHED:
        return None, NO_CACHED_VALUE
    if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        return None, f"the cell shows the error {value.strip()}: fix its formula"
    kind = col.kind
    if kind in ("number", "range"):
        return number_value(value), None
    if kind == "int":
        return number_value(value), None
    if kind == "bool":
        return bool_value(value), None
    if kind == "month":
        return month_text(value), None
    if kind == "enum":
        text = as_text(value)
        if col.options and all(o.lstrip("-").isdigit() for o in col.options):
            number = parse_number(text)
            return (number if number is not None else text), None
        return text, None
    if kind == "list":
        return split_list(value), None
    if kind == "map":
        mapping, message = parse_map(value)
        return mapping, message
    return as_text(value), None


def write_value(col: Column, value: Any) -> Any:
    """A scenario value as the cell should hold it (months as dates, lists as text)."""
    if value is None:
        return None
    if col.kind == "month" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = int(value[:4]), int(value[5:7])
        if 1900 <= year <= 9999 and 1 <= month <= 12:
            return dt.datetime(year, month, 1)
        return value
    if col.kind == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if col.kind == "map" and isinstance(value, dict):
        return ", ".join(f"{k}: {as_text(v)}" for k, v in value.items())
    if col.kind == "range" and isinstance(value, list | tuple):
        return value[col.part or 0]
    if isinstance(value, float):
        return tidy_number(value)
    return value


__all__ = ["EXCEL_ERRORS", "as_text", "is_blank", "month_text", "number_value", "read_cell", "write_value"]
