"""The variants of a study: `--vary` crossed or sampled, the tornado's one-at-a-time moves.

Each variant is the scenario's raw document with some values changed, written
as JSON text and validated by the scenario loader before anything runs. Its
seed derives from the study seed and the variant's content (its changes and
confidence level), never from where or when it runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bastion.scenario.errors import ScenarioError, format_path
from bastion.scenario.load import load_text
from bastion.scenario.model import Scenario
from bastion.scenario.yamltree import TreeError, read_tree
from bastion.study.paths import Key, PathError, get_value, parse_path, parse_value, set_value, show_value


class StudyError(ValueError):
    """A study that cannot run as asked (bad --vary, unknown path, invalid variant, ...)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Vary:
    """One `--vary PATH=V1,V2,...` (values) or `--vary PATH=LOW:HIGH` (a range for --sample)."""

    path: str
    keys: tuple[Key, ...]
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False
    """A range given by two whole numbers: sampled values are rounded to whole numbers."""


@dataclass(frozen=True)
class Variant:
    """One member of a study: its changes to the scenario and the resulting document."""

    id: str
    kind: str
    """"grid", "sample", "base" (the scenario as it is) or "tornado"."""
    changes: dict[str, Any]
    text: str
    """The variant's scenario document as JSON text (what is validated, run and stored)."""
    seed: int
    confidence: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    """Tornado variants: {"parameter", "kind", "direction" ("-"|"+"), "base_value"}."""


def parse_vary(text: str) -> Vary:
    """`PATH=V1,V2,...` or `PATH=LOW:HIGH`; raise StudyError when malformed."""
    path, sep, rest = text.partition("=")
    if not sep or not rest.strip():
        raise StudyError([f"--vary {text!r}: expected PATH=V1,V2,... or PATH=LOW:HIGH"])
    try:
        keys = parse_path(path)
    except PathError as error:
        raise StudyError([f"--vary {text!r}: {error}"]) from None
    if ":" in rest and "," not in rest and rest.count(":") == 1:
        low_text, high_text = rest.split(":")
        low, high = parse_value(low_text), parse_value(high_text)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)) or low >= high:
            raise StudyError([f"--vary {text!r}: a range is LOW:HIGH with two numbers, LOW < HIGH"])
        return Vary(path.strip(), keys, low=float(low), high=float(high),
                    integer=isinstance(low, int) and isinstance(high, int))
    values = tuple(parse_value(v) for v in rest.split(","))
    if len(set(map(json.dumps, values))) != len(values):
        raise StudyError([f"--vary {text!r}: a value is given twice"])
    return Vary(path.strip(), keys, values=values)


#: Variant seeds are below this (the CLI's `--seed` limit, 2^31 - 1), so `bastion simulate --seed SEED`
#: repeats a variant by hand, and SEED + 1 (its confidence plan's validation seed) is a valid seed too.
SEED_MODULUS = 2**31 - 1


def variant_seed(study_seed: int, changes: dict[str, Any], confidence: float | None = None) -> int:
    """The variant's seed: numpy's SeedSequence of (study seed, sha256 of its content), its first
    32-bit word modulo SEED_MODULUS."""
    content = json.dumps({"changes": changes, "confidence": confidence}, sort_keys=True,
                         ensure_ascii=True, allow_nan=False).encode("utf-8")
    digest = int.from_bytes(hashlib.sha256(content).digest()[:8], "big")
    word = int(np.random.SeedSequence([int(study_seed), digest]).generate_state(1, dtype=np.uint32)[0])
    return word % SEED_MODULUS


def latin_hypercube(n: int, dims: int, seed: int) -> np.ndarray:
    """`n` points in [0, 1)^dims, one in each of the n equal strata of every dimension (seeded)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5A3D]))
    out = np.empty((n, dims))
    for d in range(dims):
        out[:, d] = (rng.permutation(n) + rng.random(n)) / n
    return out


class Document:
    """The scenario file's raw document, and the validation of edited copies of it."""

    def __init__(self, text: str, name: str, is_json: bool) -> None:
        try:
            self.value: Any = read_tree(text, is_json=is_json).value
        except TreeError as error:  # the file was loaded already: cannot happen in practice
            raise StudyError([f"{name}:{error.line}: {error.message}"]) from None
        self.name = name

    def edited(self, changes: dict[str, Any], label: str) -> tuple[str, Scenario]:
        """The JSON text and Scenario of the document with `changes`; StudyError naming `label`."""
        doc = self.value
        for path, value in changes.items():
            try:
                doc = set_value(doc, parse_path(path), value)
            except PathError as error:
                raise StudyError([f"variant {label}: {path}: {error}"]) from None
        text = json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False, default=str) + "\n"
        try:
            return text, load_text(text, f"{self.name} [variant {label}]", is_json=True)
        except ScenarioError as error:
            raise StudyError([f"variant {label}: {p.path}: {p.message}" for p in error.problems]) from None


def _label(vid: str, changes: dict[str, Any], confidence: float | None = None) -> str:
    parts = [f"{k}={show_value(v)}" for k, v in changes.items()]
    if confidence is not None:
        parts.append(f"confidence={confidence:g}")
    return f"{vid} ({', '.join(parts) or 'no change'})"


def _round(value: float) -> float:
    return float(f"{value:.12g}")


def grid_changes(varies: list[Vary]) -> list[dict[str, Any]]:
    """Every combination of the values (the first --vary changes slowest)."""
    for v in varies:
        if not v.values:
            raise StudyError([f"--vary {v.path}: a range LOW:HIGH needs --sample N; give values for a grid"])
    return [dict(zip((v.path for v in varies), combo, strict=True))
            for combo in itertools.product(*(v.values for v in varies))]


def sample_changes(varies: list[Vary], n: int, seed: int) -> list[dict[str, Any]]:
    """`n` Latin-hypercube points over the ranges (6 significant digits; whole numbers for
    a range given by whole numbers)."""
    for v in varies:
        if v.low is None or v.high is None:
            raise StudyError([f"--vary {v.path}: --sample needs a range LOW:HIGH, not a list of values"])
    unit = latin_hypercube(n, len(varies), seed)
    out = []
    for row in unit:
        point: dict[str, Any] = {}
        for v, u in zip(varies, row, strict=True):
            assert v.low is not None and v.high is not None
            x = v.low + float(u) * (v.high - v.low)
            point[v.path] = round(x) if v.integer else float(f"{x:.6g}")
        out.append(point)
    return out


def make_variants(doc: Document, change_sets: list[dict[str, Any]], kind: str, seed: int,
                  confidences: tuple[float, ...] = (), *, skip_invalid: bool = False,
                  prefix: str = "v", meta: list[dict[str, Any]] | None = None
                  ) -> tuple[list[Variant], list[dict[str, Any]]]:
    """Validated variants (each crossed with each confidence level) and, with skip_invalid,
    the invalid ones as {"id", "changes", "message"} (else StudyError naming every one)."""
    levels: tuple[float | None, ...] = confidences or (None,)
    out: list[Variant] = []
    invalid: list[dict[str, Any]] = []
    problems: list[str] = []
    width = len(str(len(change_sets) * len(levels)))
    number = 0
    for i, changes in enumerate(change_sets):
        for level in levels:
            number += 1
            vid = f"{prefix}{number:0{width}d}" if prefix != "base" else "base"
            label = _label(vid, changes, level)
            try:
                text, _ = doc.edited(changes, label)
            except StudyError as error:
                problems.extend(error.problems)
                invalid.append({"id": vid, "kind": kind, "changes": changes, "confidence": level,
                                "seed": variant_seed(seed, changes, level), "message": "; ".join(error.problems)})
                continue
            out.append(Variant(vid, kind, changes, text, variant_seed(seed, changes, level), level,
                               dict(meta[i]) if meta is not None else {}))
    if problems and not skip_invalid:
        raise StudyError(problems)
    return out, invalid


# --- the tornado ------------------------------------------------------------------------------------

_INT_FIELDS = frozenset({"lead_time_months"})


def tornado_parameters(scenario: Scenario) -> list[tuple[str, str]]:
    """(path, kind) of every capacity, lead time, event rate and duration range of the scenario
    (kind: "capacity" | "lead time" | "rate" | "duration range"), in file order."""
    out: list[tuple[tuple[Key, ...], str]] = []
    for sid, sup in scenario.suppliers.items():
        for item, supply in sup.supplies.items():
            base: tuple[Key, ...] = ("suppliers", sid, "supplies", item)
            if supply.capacity_per_month is not None:
                out.append(((*base, "capacity_per_month"), "capacity"))
            out.append(((*base, "lead_time_months"), "lead time"))
        if sup.disruption is not None:
            out.append((("suppliers", sid, "disruption", "rate_per_year"), "rate"))
            out.append((("suppliers", sid, "disruption", "recovery_months"), "duration range"))
    for sid, site in scenario.sites.items():
        for lid, line in site.lines.items():
            base = ("sites", sid, "lines", lid)
            out.append(((*base, "capacity_per_month"), "capacity"))
            if line.outage is not None:
                out.append(((*base, "outage", "rate_per_year"), "rate"))
                out.append(((*base, "outage", "recovery_months"), "duration range"))
    if scenario.programme is not None:
        for tid in scenario.programme.tasks:
            out.append((("programme", "tasks", tid, "duration_months"), "duration range"))
    for cid, customer in scenario.customers.items():
        if customer.surge is not None:
            out.append((("customers", cid, "surge", "rate_per_year"), "rate"))
            out.append((("customers", cid, "surge", "duration_months"), "duration range"))
    for i, _risk in enumerate(scenario.risks):
        out.append((("risks", i, "rate_per_year"), "rate"))
        out.append((("risks", i, "duration_months"), "duration range"))
    return [(format_path(p), kind) for p, kind in out]


def _moved(value: Any, factor: float, integer: bool) -> Any:
    if isinstance(value, list):
        return [_moved(v, factor, integer) for v in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if integer and isinstance(value, int):
        return round(value * factor)
    return _round(float(value) * factor)


def tornado_changes(doc: Document, scenario: Scenario, pct: float
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The -PCT and +PCT change of each parameter written in the file (values unchanged by
    the move, such as zeros or a lead time that rounds back, are left out), with their meta."""
    if not 0 < pct < 100:
        raise StudyError([f"--tornado {pct:g}: the percentage must be above 0 and below 100"])
    changes: list[dict[str, Any]] = []
    meta: list[dict[str, Any]] = []
    for path, kind in tornado_parameters(scenario):
        keys = parse_path(path)
        try:
            value = get_value(doc.value, keys)
        except PathError:
            continue  # a default, not written in the file
        integer = keys[-1] in _INT_FIELDS
        for direction, factor in (("-", 1 - pct / 100), ("+", 1 + pct / 100)):
            new = _moved(value, factor, integer)
            if json.dumps(new) == json.dumps(value) or new == value:
                continue
            changes.append({path: new})
            meta.append({"parameter": path, "kind": kind, "direction": direction, "base_value": value})
    return changes, meta
