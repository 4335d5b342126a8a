"""Validation problems, reported as `FILE:LINE: path.to.field: what is wrong`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

Path = tuple[str | int, ...]
"""Keys of mappings are str (as written in the file), list indices are int."""

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.\-]+")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with line breaks, control characters and lone surrogates escaped: one printable line."""
    return _UNPRINTABLE.sub(lambda m: json.dumps(m.group())[1:-1], text)


def format_path(path: Path) -> str:
    """`("customers", "lv", "targets", 0, "units")` -> `customers.lv.targets[0].units`.

    A key that is not a plain name (spaces, line breaks, other symbols) is shown quoted.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _PLAIN_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += ("." if out else "") + printable(key)
    return out or "(file)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int
    path: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", printable(self.path))
        object.__setattr__(self, "message", printable(" ".join(self.message.split()) or self.message))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class ScenarioError(Exception):
    """A scenario file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.line, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
