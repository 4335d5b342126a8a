"""Tables that fit the terminal without cutting a number: text wraps, columns drop, nothing is elided.

rich shrinks a table that is wider than the terminal by cutting cells with "…",
numbers included (`38,000,…`). `fit_table` chooses every column's width itself:
a number or id column is exactly as wide as its widest cell (never cut, never
wrapped); a text column wraps at spaces and folds a word longer than the column
(no character is lost). When even the narrowest layout is too wide, columns are
left out in the order their `drop` rank says (highest first), and the table's
caption names them. Every cell is shown as plain text (rich never reads it as
markup; control characters are escaped: `bastion.textsafe.visible`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from bastion.textsafe import visible

Kind = Literal["number", "id", "text"]

_NUMBER = re.compile(r"[-+]?\d(?:[\d,.:-]*\d)?%?")  # 1,234.5, -3, 12%, 2026-01

#: Text and id columns fold down to this width before a column is left out against its rank.
SQUEEZE_MIN = 6

#: A text column is never narrower than this (or its longest header word, if shorter).
TEXT_MIN = 10


@dataclass(frozen=True)
class Col:
    """One column: its header, what it holds, and when it is left out (0: never; higher: sooner)."""

    header: str
    kind: Kind = "text"
    drop: int = 0
    justify: Literal["left", "right"] = "left"


def _longest_word(text: str) -> int:
    return max((cell_len(w) for w in text.split()), default=0)


def _widest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _longest_number(text: str) -> int:
    return max((cell_len(m) for m in _NUMBER.findall(text)), default=0)


def _min_width(col: Col, cells: list[str]) -> int:
    head = _longest_word(col.header)
    if col.kind in ("number", "id"):
        return max([head, 1, *(_widest_line(c) for c in cells)])
    words = max([0, *(_longest_word(c) for c in cells)])
    numbers = max([0, *(_longest_number(c) for c in cells)])  # a number inside text is never folded
    return max(head, 1, min(words, TEXT_MIN), numbers)


def _squeezed(col: Col, cells: list[str]) -> int:
    """The narrowest a column may get when nothing else helps: a number column keeps its cells whole."""
    if col.kind == "number":
        return max([1, *(_widest_line(c) for c in cells)])
    numbers = max([0, *(_longest_number(c) for c in cells)])
    return max(min(_min_width(col, cells), SQUEEZE_MIN), numbers)


def _natural_width(col: Col, cells: list[str]) -> int:
    return max([cell_len(col.header), 1, *(_widest_line(c) for c in cells)])


def _share(widths: dict[int, int], goal: dict[int, int], spare: int) -> int:
    """Widen columns towards `goal` with `spare` cells, in proportion to what each lacks; returns what is left."""
    wants = {k: goal[k] - widths[k] for k in widths if goal[k] > widths[k]}
    while spare > 0 and wants:
        total = sum(wants.values())
        given = 0
        for k in list(wants):
            extra = min(wants[k], max(1, spare * wants[k] // total), spare - given)
            widths[k] += extra
            wants[k] -= extra
            given += extra
            if wants[k] <= 0:
                del wants[k]
            if given >= spare:
                break
        spare -= given
        if given == 0:
            break
    return spare


def fit_table(title: str, cols: list[Col], rows: list[list[str]], width: int) -> Table:
    """A rich Table of `rows` (plain strings, user text as written) no wider than `width` cells."""
    cols = [Col(visible(c.header), c.kind, c.drop, c.justify) for c in cols]
    cells = [[visible(r[i]) for r in rows] for i in range(len(cols))]
    keep = list(range(len(cols)))
    mins = [_min_width(c, cells[i]) for i, c in enumerate(cols)]
    nats = [max(mins[i], _natural_width(c, cells[i])) for i, c in enumerate(cols)]

    def room(kept: list[int]) -> int:  # cells left for content: borders and padding take 3 per column + 1
        return width - (3 * len(kept) + 1)

    dropped: list[int] = []
    for i in sorted((i for i, c in enumerate(cols) if c.drop > 0), key=lambda i: -cols[i].drop):
        if sum(mins[k] for k in keep) <= room(keep):
            break
        keep.remove(i)
        dropped.append(i)
    squeeze = {k: _squeezed(cols[k], cells[k]) for k in keep}
    for kinds in (("text",), ("id",), ("number",)):  # still too wide: fold words, ids, then headers
        for k in keep:
            over = sum(mins[j] for j in keep) - room(keep)
            if over > 0 and cols[k].kind in kinds:
                mins[k] -= min(over, max(0, mins[k] - squeeze[k]))
    while len(keep) > 1 and sum(mins[k] for k in keep) > room(keep):  # last resort: from the right
        dropped.append(keep.pop())
    widths = {k: mins[k] for k in keep}
    spare = room(keep) - sum(widths.values())
    # first let every text column hold its longest word (up to its natural width), then share the rest
    words = {k: min(nats[k], max(mins[k], *(_longest_word(c) for c in cells[k]), 1)) for k in keep}
    for goal in (words, {k: nats[k] for k in keep}):
        spare = _share(widths, goal, spare)
    caption = None
    if dropped:
        names = ", ".join(cols[i].header for i in sorted(dropped))
        caption = f"Left out at {width} columns: {names} (widen the terminal, or use --json)"
    table = Table(title=Text(visible(title)), title_justify="left", caption=Text(caption) if caption else None,
                  caption_justify="left")
    for k in keep:
        col = cols[k]
        # exact widths: a number or id column is as wide as its widest cell, so it never wraps;
        # headers may wrap at spaces in any column
        table.add_column(Text(col.header, overflow="fold"), width=widths[k], justify=col.justify,
                         overflow="fold")
    for r in range(len(rows)):
        table.add_row(*(Text(cells[k][r], overflow="fold") for k in keep))
    return table
