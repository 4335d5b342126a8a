"""User text shown exactly as written: on a terminal, and in a spreadsheet cell.

Names, ids, currency, classification, descriptions and file names come from the
user's scenario. They must never be interpreted: not as rich markup
(`[/draft]`, `[bold]`), not as terminal control sequences (ANSI escapes, a
carriage return that overwrites a line, bidirectional overrides), not as a
spreadsheet formula (`=HYPERLINK(...)`, an id `-2-1` that Excel reads as -3).

- `visible(text)`: control characters written as escapes (plain output, stderr).
- `terminal(text)`: `visible` and then rich markup escaped (anything printed
  through a rich console, table cell or panel).
- `spreadsheet_cell(value)`: a value safe to write in a CSV or XLSX cell.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: Format characters that reorder text on screen (bidirectional embeddings, overrides, isolates).
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

#: Backslashes before a "[" that rich would not read as a tag.
_LONE_BRACKET = re.compile(r"(\\+)\[(?![a-z#/@][^\[]*?\])")

#: First characters that make a spreadsheet read a cell as a formula (or a DDE command).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: object) -> str:
    """`text` with every control character shown as an escape (`\\x1b`, `\\n`, `\\u202e`).

    Control characters (Unicode category Cc: C0, DEL, C1), lone surrogates (Cs)
    and bidirectional formatting characters become backslash escapes; a
    backslash itself is kept as it is. Everything else is unchanged.
    """
    s = str(text)
    if s.isprintable() and not any(ch in _BIDI for ch in s):
        return s
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        out.append(_escape_char(ch) if cat in ("Cc", "Cs") or ch in _BIDI else ch)
    return "".join(out)


def terminal(text: object) -> str:
    """`text` ready to pass to rich as markup: printed exactly as written, never interpreted.

    `visible`, then rich's markup escape. Backslashes at the end are doubled and closed by
    an empty style span, so they print as written whatever follows (a tag, text or nothing).
    """
    from rich.markup import escape

    shown = visible(text)
    body = shown.rstrip("\\")
    trailing = len(shown) - len(body)
    # rich turns a backslash before a "[" that starts no tag into nothing: add one there
    body = _LONE_BRACKET.sub(lambda m: m.group(1) + "\\[", escape(body))
    return body + ("\\" * (2 * trailing) + "[bold][/bold]" if trailing else "")


def formula_like(text: str) -> bool:
    """True when a spreadsheet would read `text` as a formula or a number expression."""
    return text.startswith(FORMULA_START)


def spreadsheet_cell(value: Any) -> Any:
    """`value` safe for one CSV cell: numbers stay numbers, text never becomes a formula.

    A text starting with `=`, `+`, `-`, `@`, tab or carriage return is
    prefixed with an apostrophe (`'=1+1`, `'-2-1`), the OWASP rule for CSV
    injection: spreadsheets then show the text, not a formula or a number.
    Int, float, bool, None and other non-text values are returned unchanged
    (so a negative number stays a number).

    For XLSX (openpyxl), the same test is `formula_like(text)`: write such a
    text as a string cell (`cell.value = text; cell.data_type = "s"`), and set
    `cell.quotePrefix = True` so Excel shows it exactly and never re-reads it as
    a formula; or write `spreadsheet_cell(text)` and accept the visible apostrophe.
    openpyxl refuses most C0 control characters (IllegalCharacterError): pass user
    text through `visible(text)` first.
    """
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value
