"""The resource guard: how much memory (and roughly how long) an engine will take, before it starts.

Pure functions of a `Scenario` and the run's settings: no engine runs, nothing is
allocated. Each returns an `Estimate` with the figures that drive it (paths, months,
events a path, variables, tasks, ...); `check` raises `TooLarge`, whose message gives
them, when the estimate is over a limit. The simulation already works in chunks of
paths: `fit_chunk` picks the chunk and the number of worker processes so that they fit,
and refuses only when one block of paths on one worker does not.

The constants are measured (docs/method.md, "Resource guard"): bytes per sampled event
and per path-month of the numpy simulation, bytes per plan variable, bytes per
(path, task, task) cell of the programme's resource checks. They are deliberately on
the high side: the guard is for scenarios that would take gigabytes, and a scenario
near the limit may be refused a little early, never killed by the operating system.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bastion.scenario.model import Scenario

GB = 1024**3
MB = 1024**2

#: The default limit of `--max-memory`.
DEFAULT_MAX_BYTES = 4 * GB

#: Paths drawn together (the simulation's random-stream block; see simulate/events.py).
BLOCK = 1024

#: Simulation: peak bytes per sampled (event, node) entry while a chunk's events are
#: sampled, sorted and merged (measured 131-145 on the reference scenario at 100-1,000
#: disruptions a year; 160 with a margin).
BYTES_PER_EVENT = 160
#: Simulation: seconds per sampled event (measured 1.6 microseconds on one core).
SECONDS_PER_EVENT = 1.6e-6
#: Simulation: seconds per path-month of the kernel (one core).
SECONDS_PER_PATH_MONTH = 1.0e-6

#: Plan: fixed bytes of the solver and the model builder.
PLAN_BASE_BYTES = 200 * MB
#: Plan: bytes per model variable, constraints and solver copies included.
BYTES_PER_VARIABLE = 2_000
#: Plan: the solver's memory grows with the square of the order columns that feed one
#: store (one site's item): bytes per (supplies of the item x months)^2 per site. Measured
#: (one item, 120 months): 300 / 1,000 / 2,000 supplies, 0.19 / 1.64 / 6.19 GB peak; the
#: same 1,000 spread over 10 items, 0.33 GB; 300 customers (109,000 variables), 0.21 GB.
BYTES_PER_STORE_COLUMN_PAIR = 0.12

#: Programme: resource-feasibility checks hold up to 6 boolean (path, candidate, rival)
#: arrays (and temporaries) per task placed, and the criticality analysis 6 (path, task,
#: task) ones. Measured: 489 MB peak for 500 paths of a 200-task chain sharing one
#: resource (estimate 572 MB).
SGS_CHUNK = 4096
SGS_BYTES_PER_CELL = 6
CRITICAL_BYTES_PER_CELL = 6
#: Programme: fixed bytes of the scheduling libraries (CP-SAT, numpy).
SCHEDULE_BASE_BYTES = 200 * MB
#: Programme: bytes per (path, task) of durations, starts, finishes and their copies.
BYTES_PER_PATH_TASK = 64
#: Programme: seconds per (path, task, candidate x rival) cell of the resource checks
#: (measured: 85 s for 500 paths of that 200-task chain; this gives 80 s).
SECONDS_PER_SGS_CELL = 1.0e-8
#: Programme, compiled SGS (numba, programme/sgs_compiled.py): seconds per (path, task, rival)
#: (measured: 4.6 s for 10,000 paths of 1,000 tasks with up to 85 rivals, shared machine).
SECONDS_PER_COMPILED_SGS_CELL = 1.0e-8


class TooLarge(Exception):
    """An engine would need more memory than the limit; the message gives the figures."""

    def __init__(self, estimate: Estimate, limit: int, hint: str = "") -> None:
        self.estimate = estimate
        self.limit = limit
        figures = ", ".join(f"{name} {_number(value)}" for name, value in estimate.figures)
        text = (
            f"{estimate.engine} would need about {size_text(estimate.bytes)} of memory, over the limit of "
            f"{size_text(limit)} (--max-memory)"
        )
        if figures:
            text += f": {figures}"
        if estimate.seconds is not None:
            text += f"; it would take roughly {_duration(estimate.seconds)}"
        text += f"; {hint or estimate.hint}" if (hint or estimate.hint) else ""
        super().__init__(text)


@dataclass(frozen=True)
class Estimate:
    """Peak memory (bytes) and rough time (seconds, None where not estimated) of one engine run."""

    engine: str
    bytes: int
    seconds: float | None = None
    figures: tuple[tuple[str, float], ...] = field(default=())
    """The sizes that drive the estimate, by name, for the message."""
    hint: str = ""
    """What would make it smaller."""


def check(estimate: Estimate, limit: int | None) -> None:
    """Raise `TooLarge` if `estimate` is over `limit` bytes (None: no limit)."""
    if limit is not None and estimate.bytes > limit:
        raise TooLarge(estimate, limit)


def size_text(n: float) -> str:
    """Bytes as people read them: 512 MB, 4.0 GB, 1.2 TB."""
    for unit, scale in (("TB", 1024**4), ("GB", GB)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / MB:,.0f} MB"


def parse_size(text: str) -> int:
    """`4GB`, `512MB`, `1.5G`, `2TB` (binary units; a bare number is GB) -> bytes; ValueError otherwise."""
    raw = text.strip().upper().replace(" ", "")
    units = {"TB": 1024**4, "T": 1024**4, "GB": GB, "G": GB, "MB": MB, "M": MB, "KB": 1024, "K": 1024}
    scale = GB
    for unit, size in units.items():
        if raw.endswith(unit):
            raw, scale = raw[: -len(unit)], size
            break
    value = float(raw)  # ValueError for anything else
    if not value > 0 or value * scale > 2**62:
        raise ValueError(f"{text!r} is not a memory size between 1 KB and 4 EB")
    return int(value * scale)


# --- simulation -------------------------------------------------------------------------------


def events_per_path(scenario: Scenario) -> float:
    """Expected sampled (event, node) entries of one path: every source's rate x the horizon x its nodes."""
    months = scenario.horizon.months
    total = 0.0
    for supplier in scenario.suppliers.values():
        if supplier.disruption is not None:
            total += supplier.disruption.rate_per_year / 12.0 * months
    for site in scenario.sites.values():
        for line in site.lines.values():
            if line.outage is not None:
                total += line.outage.rate_per_year / 12.0 * months
    for risk in scenario.risks:
        nodes = len(risk.applies_to.suppliers) + len(risk.applies_to.lines)
        nodes += sum(len(scenario.sites[s].lines) for s in risk.applies_to.sites if s in scenario.sites)
        total += risk.rate_per_year / 12.0 * months * nodes
    for customer in scenario.customers.values():
        if customer.surge is not None and customer.surge.factor != 1.0:
            total += customer.surge.rate_per_year / 12.0 * months
    return total


def _piles(scenario: Scenario) -> int:
    """(customer, item) stockpiles: what each customer holds, consumes or targets."""
    count = 0
    for customer in scenario.customers.values():
        items = set(customer.initial_stock) | set(customer.consumption) | {t.item for t in customer.targets}
        count += len(items)
    return count


def _nodes(scenario: Scenario) -> int:
    lines = sum(len(site.lines) for site in scenario.sites.values())
    return len(scenario.suppliers) + lines + len(scenario.customers)


def simulate_path_bytes(scenario: Scenario) -> float:
    """Peak bytes one path of a chunk holds: its events, its month-by-node coverage, its stockpiles."""
    months = scenario.horizon.months
    per_path = events_per_path(scenario) * BYTES_PER_EVENT
    per_path += months * (_nodes(scenario) + 1) * 2  # covered hundredths (uint8) and their index
    per_path += months * _piles(scenario) * 8 * 3  # stockpiles by month, their histogram bins
    per_path += 2_000 + 64 * (_nodes(scenario) + sum(len(s.supplies) for s in scenario.suppliers.values()))
    return per_path + programme_block_bytes(scenario) / BLOCK


def simulate_estimate(scenario: Scenario, paths: int, *, chunk: int = BLOCK, workers: int = 1) -> Estimate:
    """Memory of `workers` processes each simulating `chunk` paths at a time, and rough total time."""
    per_path = simulate_path_bytes(scenario)
    chunk = max(BLOCK, -(-chunk // BLOCK) * BLOCK)
    events = events_per_path(scenario)
    seconds = paths * (events * SECONDS_PER_EVENT + scenario.horizon.months * SECONDS_PER_PATH_MONTH)
    seconds = seconds / max(1, workers) + programme_seconds(scenario, paths)
    return Estimate(
        engine="simulate",
        bytes=int(per_path * chunk * max(1, workers) + 100 * MB),
        seconds=seconds,
        figures=(
            ("paths at once", float(chunk * max(1, workers))),
            ("events a path (rates x months)", events),
            ("months", float(scenario.horizon.months)),
            ("MB a path", per_path / MB),
        ),
        hint="lower the disruption, outage, risk or surge rates, the horizon or the programme's size, "
        "or raise --max-memory",
    )


def fit_chunk(scenario: Scenario, paths: int, chunk: int, workers: int, limit: int | None) -> tuple[int, int]:
    """(chunk, workers) no larger than asked whose simulation fits in `limit` bytes.

    Fewer paths per chunk first, then fewer workers; `TooLarge` when even one block of
    paths on one worker does not fit.
    """
    if limit is None:
        return chunk, workers
    blocks = max(1, -(-chunk // BLOCK))
    workers = max(1, workers)
    while simulate_estimate(scenario, paths, chunk=blocks * BLOCK, workers=workers).bytes > limit:
        if blocks > 1:
            blocks -= 1
        elif workers > 1:
            workers -= 1
        else:
            raise TooLarge(simulate_estimate(scenario, paths, chunk=BLOCK, workers=1), limit)
    return blocks * BLOCK, workers


# --- plan -------------------------------------------------------------------------------------


def plan_variables(scenario: Scenario) -> int:
    """Variables of the plan model (as plan/variables.py builds it): per month, production per line and
    item, builds, orders per supply and site, store levels, deliveries and stockpiles per pile and site."""
    months = scenario.horizon.months
    sites = max(1, len(scenario.sites))
    lines = [line for site in scenario.sites.values() for line in site.lines.values()]
    per_month = sum(len(line.makes) for line in lines) + sum(1 for line in lines if line.optional)
    per_month += sum(len(s.supplies) for s in scenario.suppliers.values()) * sites
    per_month += sites * len(scenario.items)
    per_month += _piles(scenario) * (sites + 2)
    return months * per_month


def _supplies_by_item(scenario: Scenario) -> dict[str, int]:
    supplies: dict[str, int] = {}
    for supplier in scenario.suppliers.values():
        for item in supplier.supplies:
            supplies[item] = supplies.get(item, 0) + 1
    return supplies


def plan_store_columns(scenario: Scenario) -> int:
    """The most order columns feeding one store: supplies of one item x months."""
    return max(_supplies_by_item(scenario).values(), default=0) * scenario.horizon.months


def plan_estimate(scenario: Scenario, engine: str = "plan") -> Estimate:
    """Memory of building and solving the plan model (see the constants above)."""
    variables = plan_variables(scenario)
    months, sites = scenario.horizon.months, max(1, len(scenario.sites))
    pairs = sites * sum((count * months) ** 2 for count in _supplies_by_item(scenario).values())
    return Estimate(
        engine=engine,
        bytes=int(PLAN_BASE_BYTES + variables * BYTES_PER_VARIABLE + pairs * BYTES_PER_STORE_COLUMN_PAIR),
        figures=(
            ("model variables", float(variables)),
            ("months", float(months)),
            ("most order columns into one store", float(plan_store_columns(scenario))),
        ),
        hint="shorten the horizon or merge suppliers, customers or items, or raise --max-memory",
    )


# --- programme --------------------------------------------------------------------------------


def _programme_sizes(scenario: Scenario) -> tuple[int, int, bool]:
    """(tasks, most rivals of one task: tasks sharing a resource with it, has resources)."""
    programme = scenario.programme
    if programme is None or not programme.tasks:
        return 0, 0, False
    users: dict[str, int] = {}
    for task in programme.tasks.values():
        for resource, amount in task.uses.items():
            if amount > 0:
                users[resource] = users.get(resource, 0) + 1
    tasks = len(programme.tasks)
    rivals = 0
    for task in programme.tasks.values():
        shared = sum(users[r] - 1 for r, amount in task.uses.items() if amount > 0)
        rivals = max(rivals, min(tasks - 1, shared))
    return tasks, rivals, bool(users)


def _compiled() -> bool:
    """True when the programme's SGS runs compiled (numba): memory linear in tasks, no rival squares."""
    from bastion.programme import sgs_compiled

    return sgs_compiled.AVAILABLE


def programme_block_bytes(scenario: Scenario, paths: int = BLOCK) -> float:
    """Peak bytes of drawing `paths` programme schedules (at most SGS_CHUNK at a time through the SGS)."""
    tasks, rivals, _ = _programme_sizes(scenario)
    if tasks == 0:
        return 0.0
    if _compiled():
        return float(paths * tasks * BYTES_PER_PATH_TASK)
    at_once = min(paths, SGS_CHUNK)
    sgs = at_once * (2 * rivals + 1) * (rivals + 1) * SGS_BYTES_PER_CELL
    return float(paths * tasks * BYTES_PER_PATH_TASK + sgs)


def programme_seconds(scenario: Scenario, paths: int) -> float:
    """Rough time of drawing `paths` schedules: the resource checks grow as tasks x rivals squared."""
    tasks, rivals, _ = _programme_sizes(scenario)
    if _compiled():
        return paths * tasks * (rivals + 1) * SECONDS_PER_COMPILED_SGS_CELL
    return paths * tasks * (2 * rivals + 1) * (rivals + 1) * SECONDS_PER_SGS_CELL


def schedule_estimate(scenario: Scenario, paths: int) -> Estimate:
    """Memory of `bastion schedule`: the sampled schedules and, with resources, their critical tasks."""
    tasks, rivals, resources = _programme_sizes(scenario)
    memory = programme_block_bytes(scenario, paths)
    if resources and not _compiled():
        memory += float(paths) * tasks * tasks * CRITICAL_BYTES_PER_CELL
    return Estimate(
        engine="schedule",
        bytes=int(memory + SCHEDULE_BASE_BYTES),
        seconds=programme_seconds(scenario, paths),
        figures=(
            ("paths", float(paths)),
            ("tasks", float(tasks)),
            ("most tasks sharing a resource with one task", float(rivals)),
        ),
        hint="lower --paths, or split the programme into fewer tasks, or raise --max-memory",
    )


def _number(value: float) -> str:
    if value >= 1e7:
        return f"{value:.2e}"
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2f}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:,.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} minutes"
    return f"{seconds / 3600:,.1f} hours"
