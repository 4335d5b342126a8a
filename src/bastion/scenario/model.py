"""The scenario file format, version 1, as frozen pydantic models.

Every field's docstring is its documentation: `docs/scenario.md` is generated
from these models (`python -m bastion.scenario.docs`) and a test checks that
it is current. Cross-references (unknown ids, cycles) are checked in
`checks.py`; this module checks each value on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bastion.scenario.types import (
    LEVELS,
    MAX_FACTOR,
    MAX_MONTHS,
    MAX_PRIORITY,
    BomQuantity,
    Country,
    Currency,
    Flag,
    Id,
    Level,
    LongText,
    Month,
    Months,
    Nation,
    NonNeg,
    Number,
    Rate,
    Resource,
    Text,
    Triangular,
    WholeMonths,
    whole,
)


class Base(BaseModel):
    """Common configuration: frozen, unknown keys rejected, docstrings as descriptions."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        strict=False,
        validate_default=False,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        """A key written with no value (`null`, `~` or nothing) is an error: leave the key out instead."""
        if value is None:
            raise PydanticCustomError("null_value", "no value (null)")
        return value


class Horizon(Base):
    """The planning horizon: months 0 .. months-1 counted from `start`."""

    start: Month
    """First month of the horizon (month 0), "YYYY-MM"."""
    months: Annotated[int, whole(1, MAX_MONTHS), Field(ge=1, le=MAX_MONTHS)]
    """Number of months in the horizon (1 to 1200)."""


class Item(Base):
    """Something made on a line or bought from a supplier; an opaque item."""

    name: Text = ""
    """Readable name (free text, at most 1,000 characters)."""
    unit: Text = "each"
    """Unit of quantity (free text, at most 1,000 characters)."""
    made: Flag = False
    """True: made on a line from its `bom`; false: bought from suppliers."""
    bom: dict[Id, BomQuantity] = {}
    """Bill of materials: component item -> quantity per GOOD unit made (0 to 1e6)."""
    scrap_rate: Annotated[float, Number, Field(ge=0, le=0.99)] = 0.0
    """Share of started units lost (0 <= scrap <= 0.99): components used = bom qty x good units / (1 - scrap_rate)."""
    holding_cost_per_month: NonNeg = 0.0
    """Cost per unit per month held in a site's store or a customer's stockpile (0 <= cost < 1e15)."""

    @model_validator(mode="after")
    def _bom_only_when_made(self) -> Item:
        if self.bom and not self.made:
            raise ValueError("has a bom but is bought (made: false); set made: true or drop the bom")
        return self


class Supply(Base):
    """One item as offered by one supplier."""

    price: NonNeg = 0.0
    """Price per unit, paid in the month the order is placed (0 <= price < 1e15)."""
    lead_time_months: WholeMonths = 0
    """Whole months from order to arrival in the ordering site's store (0 to 1200)."""
    capacity_per_month: NonNeg | None = None
    """Most units ordered per month from this supplier, 0 <= x < 1e15 (left out: unlimited; null is an error)."""


class Disruption(Base):
    """A Poisson process of events during which a supplier delivers nothing or a line makes nothing."""

    rate_per_year: Rate = 0.0
    """Expected events per year (Poisson rate), from t = 0; 0 to 120 (ten a month)."""
    recovery_months: Triangular = (0.0, 0.0, 0.0)
    """Duration of each event in months, triangular [min, mode, max], each 0 to 1200."""


class Supplier(Base):
    """An outside source of bought items."""

    name: Text = ""
    """Readable name (free text, at most 1,000 characters)."""
    country: Country
    """ISO 3166 alpha-2 country code (quote "NO" for Norway)."""
    supplies: dict[Id, Supply] = {}
    """Item id -> price, lead time and capacity."""
    disruption: Disruption | None = None
    """Random events that stop all this supplier's deliveries."""


class MilestoneRef(Base):
    """A line online at the finish of a programme task."""

    milestone: Id
    """Id of the programme task whose finish brings the line online."""


def _online_kind(value: object) -> str | None:
    if isinstance(value, str):
        return "online-month"
    if isinstance(value, dict | MilestoneRef):
        return "online-milestone"
    return None


Online = Annotated[
    Annotated[Month, Tag("online-month")] | Annotated[MilestoneRef, Tag("online-milestone")],
    Discriminator(
        _online_kind,
        custom_error_type="online",
        custom_error_message='expected a month "YYYY-MM" or {milestone: TASK}',
    ),
]


class Line(Base):
    """A production line at a site."""

    makes: Annotated[list[Id], Field(min_length=1)]
    """Items this line can make (made items only); capacity is shared among them."""
    capacity_per_month: NonNeg
    """Good units per month at full rate (0 <= x < 1e15)."""
    online: Online | None = None
    """First month it can produce, "YYYY-MM", or {milestone: task}; left out: from month 0. For an optional line: the earliest."""
    ramp_months: Months = 0.0
    """Ramp: output of month m is at most capacity x min(1, (m - m0 + 1) / (ramp_months + 1)); 0 to 1200 months."""
    acceptance_months: WholeMonths = 0
    """Lot acceptance: output of month m is usable from month m + this (whole months, 0 to 1200)."""
    variable_cost_per_unit: NonNeg = 0.0
    """Variable cost of a good unit (of the FIRST unit when learning applies); 0 <= cost < 1e15."""
    fixed_cost_per_month: NonNeg = 0.0
    """Fixed cost per month from the online month on (0 <= cost < 1e15)."""
    learning_rate: Annotated[float, Number, Field(ge=0.01, le=1)] = 1.0
    """Unit-cost learning slope, 0.01 to 1: the n-th unit costs variable_cost_per_unit x n ** log2(rate)."""
    capex: NonNeg = 0.0
    """Investment, paid in month online - build_months (0 <= capex < 1e15)."""
    build_months: WholeMonths = 0
    """Whole months between paying the capex and coming online (0 to 1200)."""
    optional: Flag = False
    """True: the optimiser decides whether and when to build it (online = the earliest month)."""
    outage: Disruption | None = None
    """Random outages during which the line makes nothing."""


class Site(Base):
    """A plant: a store and its lines."""

    name: Text = ""
    """Readable name (free text, at most 1,000 characters)."""
    country: Country
    """ISO 3166 alpha-2 country code."""
    initial_store: dict[Id, NonNeg] = {}
    """Stock of each item in the site's store at the start of month 0 (0 <= x < 1e15)."""
    lines: dict[Id, Line] = {}
    """The site's lines; line ids are unique across all sites."""
    disruption: Disruption | None = None
    """Random events that stop all the site's lines at once (optional, format v1)."""


class Task(Base):
    """One task of the build-up programme."""

    name: Text = ""
    """Readable name (free text, at most 1,000 characters)."""
    duration_months: Triangular = (0.0, 0.0, 0.0)
    """Duration in months, triangular [min, mode, max], each 0 to 1200 (a single number: constant)."""
    after: list[Id] = []
    """Tasks that must finish before this one starts."""
    uses: dict[Id, Resource] = {}
    """Units of each programme resource this task holds while it runs (whole, 0 to 1000)."""


class Programme(Base):
    """The build-up project that brings lines online."""

    start: Month | None = None
    """Month the programme starts (default: horizon.start)."""
    resources: dict[Id, Resource] = {}
    """Capacity of each renewable resource (whole, 0 to 1000)."""
    tasks: dict[Id, Task] = {}
    """The tasks; a milestone is a task's finish."""


def _consumption_kind(value: object) -> str | None:
    if isinstance(value, dict):
        return "consumption-by-month"
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return "consumption-rate"
    return None


Consumption = Annotated[
    Annotated[NonNeg, Tag("consumption-rate")] | Annotated[dict[Month, NonNeg], Tag("consumption-by-month")],
    Discriminator(
        _consumption_kind,
        custom_error_type="consumption",
        custom_error_message="expected units per month, or a mapping of month -> units per month",
    ),
]


class Target(Base):
    """A stockpile target: hold `units` at the end of month `by`."""

    item: Id
    """Item id."""
    by: Month
    """Month at whose end the stockpile must hold `units`."""
    units: NonNeg
    """Stockpile to hold (0 <= units < 1e15)."""
    confidence: Annotated[float, Number, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    """Optional, 0 to 1: plan so that the simulator meets this target in at least this share of futures not used to plan (docs/method-confidence.md); wins over `bastion plan --confidence`. Left out: the deterministic plan (or the flag's level)."""


class Surge(Base):
    """Random surges that multiply a customer's consumption."""

    rate_per_year: Rate = 0.0
    """Expected surges per year (Poisson rate), from t = 0; 0 to 120."""
    duration_months: Triangular = (0.0, 0.0, 0.0)
    """Duration of each surge in months, triangular [min, mode, max], each 0 to 1200."""
    factor: Annotated[float, Number, Field(ge=0, le=MAX_FACTOR, allow_inf_nan=False)] = 1.0
    """Consumption is multiplied by this during a surge (0 to 1000)."""


class Customer(Base):
    """A customer holding a stockpile (e.g. a national armed force)."""

    name: Text = ""
    """Readable name (free text, at most 1,000 characters)."""
    country: Country
    """ISO 3166 alpha-2 country code."""
    priority: Annotated[int, whole(1, MAX_PRIORITY), Field(ge=1, le=MAX_PRIORITY)] = 1
    """1 is served first when supply is short, then 2, ... (a whole number, 1 to 100)."""
    delivery_months: WholeMonths = 0
    """Transport time from any site to this customer, whole months (0 to 1200)."""
    initial_stock: dict[Id, NonNeg] = {}
    """Stockpile of each item at the start of month 0 (0 <= x < 1e15)."""
    consumption: dict[Id, Consumption] = {}
    """Units per month drawn from the stockpile; or month -> units per month from that month on (0 <= x < 1e15)."""
    targets: list[Target] = []
    """Stockpile targets."""
    surge: Surge | None = None
    """Random consumption surges."""


class Budget(Base):
    """Yearly ceilings on the capex of optional lines."""

    capex_per_year: dict[Annotated[int, Field(ge=1900, le=2999)], NonNeg] = {}
    """Calendar year (1900 to 2999) -> most capex of optional lines paid in it (0 <= x < 1e15); a year not listed is unlimited."""


class AppliesTo(Base):
    """The nodes a correlated risk stops together."""

    suppliers: list[Id] = []
    """Supplier ids."""
    lines: list[Id] = []
    """Line ids."""
    sites: list[Id] = []
    """Site ids (all their lines)."""


class Risk(Base):
    """A correlated event that stops several nodes at once."""

    id: Id
    """Unique id of the risk."""
    name: Text = ""
    """Readable name (free text, at most 1,000 characters)."""
    applies_to: AppliesTo
    """The suppliers, lines and sites it stops."""
    rate_per_year: Rate = 0.0
    """Expected events per year (Poisson rate), from t = 0; 0 to 120."""
    duration_months: Triangular = (0.0, 0.0, 0.0)
    """Duration of each event in months, triangular [min, mode, max], each 0 to 1200."""


class EconomicsSettings(Base):
    """How money is discounted and which joint confidence level is reported (optional section)."""

    discount_rate: Annotated[float, Number, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    """Yearly discount rate r, 0 <= r < 1 (0.035 = 3.5 %): year y's cash x (1 + r) ** -(y - price_base_year)."""
    price_base_year: Annotated[int, whole(1900, 2999), Field(ge=1900, le=2999)] | None = None
    """Calendar year (1900 to 2999) whose money is worth face value (default: the horizon's first year)."""
    confidence_level: Annotated[float, Number, Field(gt=0, lt=1)] = 0.7
    """Joint confidence level (0 < level < 1) of cost and schedule reported as the JCL point (NASA baselines at 0.70)."""


def _version(value: Any) -> Any:
    """The format version is the integer 1: `1.0`, `true` or `"1"` are refused, not coerced."""
    if type(value) is not int:
        raise PydanticCustomError("version", "format version must be the number 1")
    return value


class Releasability(Base):
    """Who may see the scenario on a shared server (`bastion serve`); nation codes are checked for their form only."""

    level: Level = "UNCLASSIFIED"
    """UNCLASSIFIED, RESTRICTED, CONFIDENTIAL or SECRET: the least clearance that sees the scenario."""
    owner: Nation | None = None
    """The owner nation, ISO 3166-1 alpha-3 (e.g. LVA); on the server: the creator's nation if left out."""
    releasable_to: list[Nation] = []
    """Nations besides the owner's that may see it (alpha-3, each once, not the owner); empty: the owner's only."""


def release_marking(level: str, owner: str | None, releasable_to: Sequence[str]) -> str:
    """`LEVEL // REL TO OWNER, OTHERS...`, or `LEVEL // OWNER ONLY` when released to no other
    nation; without an owner (a file outside the server): `LEVEL // REL TO OTHERS...` or `LEVEL`."""
    nations = [n for n in (owner, *releasable_to) if n is not None]
    if not nations:
        return level
    if not releasable_to:
        return f"{level} // {owner} ONLY"
    return f"{level} // REL TO {', '.join(nations)}"


class Scenario(Base):
    """A whole scenario file, format version 1."""

    bastion: Annotated[Literal[1], BeforeValidator(_version)]
    """Format version: 1 (the number, not 1.0 or true)."""
    name: Annotated[Text, Field(min_length=1)]
    """Scenario name (1 to 1,000 characters)."""
    description: LongText = ""
    """Free text (at most 20,000 characters)."""
    classification: Text = "UNCLASSIFIED"
    """A free-text marking shown on every output (at most 1,000 characters)."""
    releasability: Releasability | None = None
    """Level, owner nation and the nations it is releasable to (optional; an addition to format v1)."""
    currency: Currency = "EUR"
    """Currency of every money amount (1 to 12 characters)."""
    horizon: Horizon
    """The planning horizon."""
    items: Annotated[dict[Id, Item], Field(min_length=1)]
    """Items, made and bought."""
    suppliers: dict[Id, Supplier] = {}
    """Suppliers of bought items."""
    sites: Annotated[dict[Id, Site], Field(min_length=1)]
    """Sites and their lines (at least one line in all)."""
    programme: Programme | None = None
    """The build-up programme (tasks, milestones)."""
    customers: Annotated[dict[Id, Customer], Field(min_length=1)]
    """Customers and their stockpiles."""
    budget: Budget | None = None
    """Capex ceilings by calendar year."""
    risks: list[Risk] = []
    """Correlated risks."""
    economics: EconomicsSettings | None = None
    """Discounting and the joint confidence level reported (optional; an addition to format v1)."""

    def marking(self) -> str:
        """The marking shown on every output: the classification, then the releasability if set
        (e.g. `RESTRICTED // REL TO LVA, EST, LTU`; see `release_marking`). A classification that is
        one of the four level names is not repeated: the higher of it and the level is shown."""
        if self.releasability is None:
            return self.classification
        rel = self.releasability
        if self.classification in LEVELS:
            level = max(self.classification, rel.level, key=LEVELS.index)
            return release_marking(level, rel.owner, rel.releasable_to)
        return f"{self.classification} // {release_marking(rel.level, rel.owner, rel.releasable_to)}"

    def all_lines(self) -> dict[str, tuple[str, Line]]:
        """Every line id -> (site id, line), in file order."""
        return {lid: (sid, line) for sid, site in self.sites.items() for lid, line in site.lines.items()}

    def programme_start(self) -> str:
        """The month the programme starts: `programme.start` or `horizon.start`."""
        if self.programme is not None and self.programme.start is not None:
            return self.programme.start
        return self.horizon.start
