"""A study's results: the JSON object, the one-row-per-variant table, the tornado's rankings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bastion.study.paths import show_value

#: Statuses of a variant that gave an answer (the plan, and its simulation).
ANSWERED = ("ok", "short")
#: Keys of a variant kept for the store, left out of the study JSON.
_INTERNAL = frozenset({"plan_full", "simulate_full", "text"})


@dataclass(frozen=True)
class Study:
    """A finished study: its inputs, each variant's result, the tornado (if asked)."""

    study_id: str
    scenario: str
    scenario_file: str
    scenario_text: str
    scenario_hash: str
    classification: str
    currency: str
    seed: int
    paths: int
    mode: str
    """"grid", "sample" or "tornado" (what made the variants)."""
    spec: dict[str, Any]
    """The request: vary, sample, tornado, confidence, skip_invalid."""
    versions: dict[str, str]
    variants: list[dict[str, Any]]
    tornado: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every variant gave an answer (ok or short)."""
        return all(v["status"] in ANSWERED for v in self.variants)

    @property
    def status(self) -> str:
        """ "complete", or "incomplete" when some variant is invalid, infeasible or failed."""
        return "complete" if self.complete else "incomplete"

    def to_json(self) -> dict[str, Any]:
        """The study JSON object (ARCHITECTURE.md keys: study_id, variants, plus extras)."""
        return {
            "study_id": self.study_id,
            "scenario": self.scenario,
            "scenario_file": self.scenario_file,
            "scenario_hash": self.scenario_hash,
            "classification": self.classification,
            "currency": self.currency,
            "seed": self.seed,
            "paths": self.paths,
            "mode": self.mode,
            "spec": self.spec,
            "versions": self.versions,
            "status": self.status,
            "variants": [{k: v for k, v in var.items() if k not in _INTERNAL} for var in self.variants],
            "tornado": self.tornado,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def target_key(t: dict[str, Any]) -> tuple[str, str, str]:
    """(customer, item, by) of a target object."""
    return (str(t["customer"]), str(t["item"]), str(t["by"]))


def target_label(key: tuple[str, str, str]) -> str:
    """"customer item by"."""
    return " ".join(key)


def targets_of(variants: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Every target met in any variant's plan, in first-seen order."""
    seen: dict[tuple[str, str, str], None] = {}
    for v in variants:
        for t in ((v.get("plan") or {}).get("targets") or []):
            seen.setdefault(target_key(t), None)
    return list(seen)


def metrics(variant: dict[str, Any]) -> dict[str, Any]:
    """The numbers a table row shows: cost, first output, per target planned units and P(met)."""
    plan = variant.get("plan") or {}
    sim = variant.get("simulate") or {}
    planned = {target_key(t): t.get("planned_units") for t in plan.get("targets") or []}
    probs = {target_key(t): (t.get("probability"), t.get("stderr")) for t in sim.get("targets") or []}
    return {"cost": (plan.get("cost") or {}).get("total"), "first_output": plan.get("first_output"),
            "planned": planned, "probability": probs}


def validated(variant: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """A confidence variant's targets by key: {"requested", "probability", "stderr", "reached",
    "deterministic_probability"} (the confidence plan's validation; empty without a confidence)."""
    conf = variant.get("confidence_plan") or {}
    out = {}
    for t in conf.get("targets") or []:
        v = t.get("validated") or {}
        out[target_key(t)] = {"requested": t.get("requested"), "probability": v.get("probability"),
                              "stderr": v.get("stderr"), "reached": t.get("reached"),
                              "deterministic_probability": t.get("deterministic_probability")}
    return out


def price(variant: dict[str, Any]) -> dict[str, Any]:
    """A confidence variant's price of confidence ({} without a confidence)."""
    return dict((variant.get("confidence_plan") or {}).get("price") or {})


def _confidence_columns(row: dict[str, Any], v: dict[str, Any], keys: list[tuple[str, str, str]]) -> None:
    """The confidence plan's columns of a table row: the price, then per target validated P(met)."""
    pr = price(v)
    row["deterministic cost"] = pr.get("deterministic_cost")
    row["price of confidence"] = pr.get("difference")
    row["what it buys"] = pr.get("text")
    val = validated(v)
    for key in keys:
        label = target_label(key)
        t = val.get(key, {})
        row[f"{label}: validated P(met)"] = t.get("probability")
        row[f"{label}: validated stderr"] = t.get("stderr")
        row[f"{label}: reached"] = t.get("reached")


def table_rows(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per variant (for CSV, XLSX and the report): the changes, status, cost,
    first output, and for each target its planned units, P(met) and the standard error; with
    confidence levels, also the price of confidence and each target's validated P(met)."""
    keys = targets_of(variants)
    levels = any(v.get("confidence") is not None for v in variants)
    paths: dict[str, None] = {}
    for v in variants:
        paths.update(dict.fromkeys(v["changes"]))
    rows = []
    for v in variants:
        m = metrics(v)
        row: dict[str, Any] = {"variant": v["id"], "kind": v.get("kind"),
                               "changes": "; ".join(f"{k}={show_value(x)}" for k, x in v["changes"].items()),
                               "confidence": v.get("confidence"), "seed": v.get("seed"),
                               "status": v["status"], "cost": m["cost"], "first_output": m["first_output"]}
        for path in paths:
            value = v["changes"].get(path)
            row[path] = value if not isinstance(value, list) else show_value(value)
        for key in keys:
            label = target_label(key)
            p, se = m["probability"].get(key, (None, None))
            row[f"{label}: planned units"] = m["planned"].get(key)
            row[f"{label}: P(met)"] = p
            row[f"{label}: stderr"] = se
        if levels:
            _confidence_columns(row, v, keys)
        row["message"] = v.get("message")
        rows.append(row)
    return rows


def _swing(lo: Any, hi: Any) -> float | None:
    if lo is None or hi is None:
        return None
    return abs(float(hi) - float(lo))


def tornado_rankings(base: dict[str, Any] | None, variants: list[dict[str, Any]], pct: float
                     ) -> dict[str, Any]:
    """Rank the tornado's parameters by their swing (|value at +PCT - value at -PCT|) in each
    target's P(met) (ties: in its planned units) and in the plan's cost; a side left out (the
    move changed nothing) takes the base value."""
    params: dict[str, dict[str, Any]] = {}
    for v in variants:
        meta = v.get("meta") or {}
        name = meta.get("parameter")
        if not name:
            continue
        entry = params.setdefault(name, {"parameter": name, "kind": meta.get("kind"),
                                         "base_value": meta.get("base_value"), "-": None, "+": None})
        entry[meta["direction"]] = v
    base_m = metrics(base) if base is not None and base["status"] in ANSWERED else None

    def side(entry: dict[str, Any], direction: str) -> tuple[dict[str, Any] | None, Any, str | None]:
        v = entry[direction]
        if v is None:
            return base_m, entry["base_value"], "base" if base is not None else None
        value = next(iter(v["changes"].values()))
        return (metrics(v) if v["status"] in ANSWERED else None), value, v["id"]

    keys = targets_of(variants + ([base] if base is not None else []))
    cost_rows: list[dict[str, Any]] = []
    target_rows: dict[tuple[str, str, str], list[dict[str, Any]]] = {k: [] for k in keys}
    for entry in params.values():
        (lo_m, lo_v, lo_id), (hi_m, hi_v, hi_id) = side(entry, "-"), side(entry, "+")
        common = {"parameter": entry["parameter"], "kind": entry["kind"], "base_value": entry["base_value"],
                  "low_value": lo_v, "high_value": hi_v, "low_variant": lo_id, "high_variant": hi_id}
        lo_c = lo_m["cost"] if lo_m else None
        hi_c = hi_m["cost"] if hi_m else None
        cost_rows.append({**common, "low": lo_c, "high": hi_c, "swing": _swing(lo_c, hi_c)})
        for key in keys:
            lo_p = (lo_m["probability"].get(key, (None, None))[0]) if lo_m else None
            hi_p = (hi_m["probability"].get(key, (None, None))[0]) if hi_m else None
            lo_u = lo_m["planned"].get(key) if lo_m else None
            hi_u = hi_m["planned"].get(key) if hi_m else None
            target_rows[key].append({**common, "low": lo_p, "high": hi_p, "swing": _swing(lo_p, hi_p),
                                     "planned_low": lo_u, "planned_high": hi_u,
                                     "planned_swing": _swing(lo_u, hi_u)})

    def order(rows: list[dict[str, Any]], tie: str | None) -> list[dict[str, Any]]:
        def key(r: dict[str, Any]) -> tuple[int, float, float, str]:
            s = r["swing"]
            t = r.get(tie) if tie else None
            return (s is None, -(s or 0.0), -(t or 0.0), r["parameter"])
        ranked = sorted(rows, key=key)
        for i, r in enumerate(ranked, 1):
            r["rank"] = i
        return ranked

    return {
        "pct": pct,
        "base": base["id"] if base is not None else None,
        "base_cost": base_m["cost"] if base_m else None,
        "cost": order(cost_rows, None),
        "targets": [{"customer": k[0], "item": k[1], "by": k[2],
                     "base_probability": base_m["probability"].get(k, (None, None))[0] if base_m else None,
                     "ranking": order(target_rows[k], "planned_swing")} for k in keys],
    }
