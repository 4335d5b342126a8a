"""Terminal views of a study: live progress (stderr), the results table, stored studies."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bastion.cli.common import marking

if TYPE_CHECKING:
    from bastion.store.studies import StudyRecord, StudySummary
    from bastion.study import Study
    from bastion.study.engine import Progress


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class StudyProgress:
    """Variants done of total, per worker, elapsed and time left; drawn on `out` only if it
    is a terminal (pipes, files and tests get nothing)."""

    def __init__(self, out: Console, enabled: bool = True) -> None:
        self.out = out
        self.enabled = enabled and out.is_terminal
        self.live: Live | None = None

    def __enter__(self) -> StudyProgress:
        if self.enabled:
            self.live = Live(Text("Starting the workers..."), console=self.out, transient=True,
                             refresh_per_second=4)
            self.live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.live is not None:
            self.live.stop()

    def tell(self, p: Progress) -> None:
        """Redraw with the study's progress (called by the engine after each variant)."""
        if self.live is None:
            return
        width = 30
        filled = int(width * p.done / p.total) if p.total else width
        head = Text(f"Study: {p.done} of {p.total} variants [{'#' * filled}{'.' * (width - filled)}] "
                    f"elapsed {_duration(p.elapsed)}, left {_duration(p.left_seconds)}, "
                    f"{p.workers} worker{'s' if p.workers != 1 else ''}")
        lines = [Text(f"  {w}: {n} done") for w, n in sorted(p.per_worker.items())]
        self.live.update(Group(head, *lines))


def _pct(p: Any, se: Any) -> str:
    if p is None:
        return "-"
    return f"{float(p):.1%} ± {float(se or 0.0):.1%}"


def _num(v: Any) -> str:
    return "-" if v is None else f"{float(v):,.0f}"


def render_study(study: Study, out: Console) -> None:
    """The study's table: one row per variant, each target's planned units and P(met)."""
    from bastion.study.paths import show_value
    from bastion.study.result import metrics, target_label, targets_of

    data = study.to_json()
    variants = data["variants"]
    mark = study.classification
    out.print(marking(mark))
    out.print(f"[bold]Study[/bold] {escape(study.study_id)}: {escape(study.scenario)}, "
              f"{len(variants)} variants ({study.mode}), {study.paths:,} paths each, seed {study.seed}")
    keys = targets_of(variants)
    varied: dict[str, None] = {}
    for v in variants:
        varied.update(dict.fromkeys(v["changes"]))
    short = {p: ".".join(p.split(".")[-2:]) for p in varied}
    for p in varied:
        if list(short.values()).count(short[p]) > 1:
            short[p] = p
    if any(short[p] != p for p in varied):
        out.print("Varied:")
        for p in varied:
            out.print(f"  [bold]{escape(short[p])}[/bold] = {escape(p)}")
    table = Table("variant", *(escape(short[p]) for p in varied), "status", f"cost ({study.currency})",
                  "first output", title="Variants")
    levels = any(v.get("confidence") is not None for v in variants)
    if levels:
        table.add_column("confidence")
    for key in keys:
        table.add_column(f"{escape(target_label(key))}\nplanned / P(met)")
    for v in variants:
        m = metrics(v)
        values = [escape(show_value(v["changes"][p])) if p in v["changes"] else "" for p in varied]
        status = v["status"] if v["status"] in ("ok",) else f"[red]{escape(v['status'])}[/red]"
        extra = [f"{v['confidence']:g}" if v.get("confidence") is not None else "-"] if levels else []
        cells = [f"{_num(m['planned'].get(k))} / {_pct(*m['probability'].get(k, (None, None)))}" for k in keys]
        table.add_row(v["id"], *values, status, _num(m["cost"]), m["first_output"] or "-", *extra, *cells)
    out.print(table)
    _render_prices(variants, out)
    for v in variants:
        if v["status"] in ("invalid", "failed", "infeasible") and v.get("message"):
            out.print(f"[red]{escape(v['id'])} {escape(v['status'])}[/red]: {escape(str(v['message']))}")
    if study.tornado:
        _render_tornado(study.tornado, out)
    out.print(marking(mark))


def _render_prices(variants: list[dict[str, Any]], out: Console) -> None:
    """Per confidence variant: the price of confidence, and each target's validated P(met)."""
    from bastion.study.result import price, target_label, validated

    for v in variants:
        pr = price(v)
        if v.get("confidence") is None or not pr:
            continue
        val = validated(v)
        reached = "; ".join(f"{escape(target_label(k))} {_pct(t.get('probability'), t.get('stderr'))}"
                            + (" [red]not reached[/red]" if t.get("reached") is False else "")
                            for k, t in val.items())
        out.print(f"[bold]{escape(v['id'])}[/bold] at {100 * float(v['confidence']):g}%: "
                  f"price of confidence {escape(str(pr.get('text') or '-'))}; validated {reached}")


def _render_tornado(tornado: dict[str, Any], out: Console) -> None:
    pct = tornado["pct"]
    for t in tornado["targets"]:
        table = Table("rank", "parameter", "kind", f"P(met) at -{pct:g}%", f"P(met) at +{pct:g}%", "swing",
                      title=f"Tornado: {escape(' '.join((t['customer'], t['item'], t['by'])))} P(met)")
        for r in t["ranking"][:10]:
            table.add_row(str(r["rank"]), escape(r["parameter"]), r["kind"], _pct(r["low"], 0).split(" ")[0],
                          _pct(r["high"], 0).split(" ")[0], _pct(r["swing"], 0).split(" ")[0])
        out.print(table)
    table = Table("rank", "parameter", "kind", f"cost at -{pct:g}%", f"cost at +{pct:g}%", "swing",
                  title="Tornado: plan cost")
    for r in tornado["cost"][:10]:
        table.add_row(str(r["rank"]), escape(r["parameter"]), r["kind"], _num(r["low"]), _num(r["high"]),
                      _num(r["swing"]))
    out.print(table)


def render_study_list(rows: list[StudySummary], out: Console) -> None:
    """Stored studies, newest first."""
    if not rows:
        return
    table = Table("study", "created (UTC)", "scenario", "sha256", "variants", "mode", "status", title="Studies")
    for r in rows:
        table.add_row(r.study_id, f"{r.created_at:%Y-%m-%d %H:%M:%S}", escape(r.scenario_name),
                      r.scenario_hash[:12], str(r.variants), r.mode, r.status)
    out.print(table)


def render_study_record(record: StudyRecord, out: Console) -> None:
    """One stored study: inputs (hash, seed, versions), each variant and its member run."""
    out.print(f"[bold]Study[/bold] {record.study_id}  ({record.created_at:%Y-%m-%d %H:%M:%S} UTC)")
    out.print(f"scenario: {escape(record.scenario_name)}  file: {escape(record.scenario_file)}")
    out.print(f"sha256: {record.scenario_hash}")
    out.print(f"seed: {record.seed}  paths: {record.paths:,}  status: {record.status}")
    out.print("request: " + escape(", ".join(f"{k}={v}" for k, v in record.spec.items() if v not in (None, [], False))))
    out.print("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(record.versions.items())))
    variants = {v["id"]: v for v in record.data.get("variants", [])}
    table = Table("variant", "changes", "status", "member run", "seed")
    for m in record.members:
        v = variants.get(m.variant_id, {})
        changes = "; ".join(f"{k}={val}" for k, val in (v.get("changes") or {}).items())
        table.add_row(m.variant_id, escape(changes or "(none)"), m.status, m.run_id or "-", str(v.get("seed", "")))
    out.print(table)


