"""Validation problems, reported as `FILE:LINE: path.to.field: what is wrong`."""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """`("customers", "lv", "targets", 0, "units")` -> `customers.lv.targets[0].units`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class ScenarioError(Exception):
    """A scenario file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.line, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
