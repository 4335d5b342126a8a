"""One test per check: the exact `FILE:LINE: path: message` of each problem.

Each test breaks the small valid scenario (conftest.VALID_YAML) in one place and
asserts the whole message, with the line found from the text (the line holding
the offending key).
"""

from __future__ import annotations

import re
import textwrap

import pytest
from scenario_helpers import VALID_YAML, messages_of, problems_of


def edit(old: str, new: str) -> str:
    """The valid scenario with `old` (which must occur exactly once) replaced by `new`."""
    assert VALID_YAML.count(old) == 1, old
    return VALID_YAML.replace(old, new)


def line(text: str, snippet: str) -> int:
    """1-based number of the only line of `text` that contains `snippet`."""
    if snippet.endswith("\n"):  # a whole line, found at a line start
        found = [n for n, t in enumerate(text.splitlines(), 1) if t + "\n" == snippet]
    else:
        found = [n for n, t in enumerate(text.splitlines(), 1) if snippet in t]
    assert len(found) == 1, (snippet, found)
    return found[0]


def one(text: str, path: str, message: str, at: str) -> None:
    """Loading `text` reports exactly one problem: `f.yaml:LINE(at): path: message`."""
    assert messages_of(text) == [f"f.yaml:{line(text, at)}: {path}: {message}"]


# --- items and boms -----------------------------------------------------------------------


def test_unknown_item_in_bom() -> None:
    text = edit("bom: {fuze: 1, spring: 2}", "bom:\n      fuze: 1\n      spring: 2\n      gear: 3")
    one(text, "items.fuze-assy.bom.gear", "unknown item gear", "gear: 3")


def test_bom_cycle() -> None:
    text = edit("bom: {fuze: 1, spring: 2}", "bom: {fuze: 1, spring: 2, atm-1: 1}")
    one(text, "items.atm-1.bom", "bom cycle: atm-1 -> fuze-assy -> atm-1", "bom: {body: 1")


def test_item_in_its_own_bom() -> None:
    text = edit("bom: {fuze: 1, spring: 2}", "bom: {fuze: 1, spring: 2, fuze-assy: 1}")
    one(text, "items.fuze-assy.bom.fuze-assy", "an item cannot be in its own bom", "fuze-assy: 1}")


def test_bought_item_with_a_bom() -> None:
    text = edit("  body: {made: false}", "  body:\n    made: false\n    bom: {fuze: 1}")
    one(
        text,
        "items.body",
        "has a bom but is bought (made: false); set made: true or drop the bom",
        "  body:\n",
    )


# --- lines and sites ------------------------------------------------------------------------


def test_line_that_makes_a_bought_item() -> None:
    text = edit("makes: [atm-1, fuze-assy]", "makes:\n          - atm-1\n          - body")
    one(
        text,
        "sites.plant-lv.lines.line-2.makes[1]",
        "body is bought (made: false); a line makes made items only",
        "- body",
    )


def test_line_that_makes_an_unknown_item() -> None:
    text = edit("makes: [atm-1, fuze-assy]", "makes:\n          - atm-1\n          - gadget")
    one(text, "sites.plant-lv.lines.line-2.makes[1]", "unknown item gadget", "- gadget")


def test_milestone_that_is_not_a_task() -> None:
    text = edit("online: {milestone: sat-line-1}", "online:\n          milestone: sat-line-9")
    one(
        text,
        "sites.plant-lv.lines.line-1.online.milestone",
        "milestone sat-line-9 is not a programme task",
        "milestone: sat-line-9",
    )


def test_duplicate_line_id_across_sites() -> None:
    text = edit(
        "\nprogramme:",
        "  plant-ee:\n    country: EE\n    lines:\n      line-2:\n        makes: [atm-1]\n"
        "        capacity_per_month: 10\n\nprogramme:",
    )
    lines = text.splitlines()
    at = max(n for n, t in enumerate(lines, 1) if t == "      line-2:")
    assert messages_of(text) == [
        f"f.yaml:{at}: sites.plant-ee.lines.line-2: line id line-2 is already used at site plant-lv"
    ]


def test_initial_store_of_unknown_item() -> None:
    text = edit("initial_store: {body: 2000, fuze: 500}", "initial_store:\n      body: 2000\n      gear: 5")
    one(text, "sites.plant-lv.initial_store.gear", "unknown item gear", "gear: 5")


def test_site_without_any_line() -> None:
    text = textwrap.dedent(
        """\
        bastion: 1
        name: x
        horizon: {start: "2026-01", months: 12}
        items: {a: {made: false}}
        sites:
          s: {country: LV}
        customers:
          c: {country: LV}
        """
    )
    assert messages_of(text) == ["f.yaml:5: sites: no site has a line: at least one line is needed"]


# --- suppliers ------------------------------------------------------------------------------


def test_supplier_supplies_unknown_item() -> None:
    text = edit("crate: {price: 3}", "crate: {price: 3}\n      gear: {price: 1}")
    one(text, "suppliers.steel-lv.supplies.gear", "unknown item gear", "gear: {price: 1}")


def test_supplier_supplies_a_made_item() -> None:
    text = edit("crate: {price: 3}", "crate: {price: 3}\n      fuze-assy: {price: 1}")
    one(
        text,
        "suppliers.steel-lv.supplies.fuze-assy",
        "fuze-assy is made (made: true); suppliers supply bought items only",
        "fuze-assy: {price: 1}",
    )


# --- programme ------------------------------------------------------------------------------


def test_task_cycle() -> None:
    text = edit(
        "site-permit: {duration_months: [3, 4, 8]}",
        "site-permit: {duration_months: [3, 4, 8], after: [sat-line-1]}",
    )
    one(
        text,
        "programme.tasks.site-permit.after",
        "task cycle: site-permit <- sat-line-1 <- building <- site-permit (x <- y: x is after y)",
        "site-permit: {",
    )


def test_task_after_unknown_task() -> None:
    text = edit(
        "building: {duration_months: [10, 12, 18], after: [site-permit], uses: {engineering: 1}}",
        "building:\n      duration_months: [10, 12, 18]\n"
        "      after:\n        - site-permit\n        - survey\n"
        "      uses: {engineering: 1}",
    )
    one(text, "programme.tasks.building.after[1]", "unknown task survey", "- survey")


def test_unknown_resource() -> None:
    text = edit("uses: {engineering: 1}}", "uses: {welders: 1}}")
    one(text, "programme.tasks.building.uses.welders", "unknown resource welders", "welders")


def test_resource_use_above_capacity() -> None:
    text = edit("uses: {engineering: 1}}", "uses: {engineering: 3}}")
    one(
        text,
        "programme.tasks.building.uses.engineering",
        "uses 3 of engineering, whose capacity is 2",
        "engineering: 3",
    )


# --- customers ------------------------------------------------------------------------------


def test_target_beyond_the_horizon() -> None:
    text = edit('by: "2027-12"', 'by: "2029-01"')
    one(
        text,
        "customers.lv-naf.targets[0].by",
        "2029-01 is beyond the horizon (last month 2028-12)",
        '"2029-01"',
    )


def test_target_on_the_last_month_is_fine() -> None:
    from bastion.scenario import load_text

    assert load_text(edit('by: "2027-12"', 'by: "2028-12"')).customers["lv-naf"].targets[0].by == "2028-12"


def test_target_before_the_horizon() -> None:
    text = edit('by: "2027-12"', 'by: "2025-12"')
    one(
        text,
        "customers.lv-naf.targets[0].by",
        "2025-12 is before the horizon starts (2026-01)",
        '"2025-12"',
    )


def test_target_of_unknown_item() -> None:
    text = edit('- {item: atm-1, by: "2028-06", units: 5000}', '- {item: atm-9, by: "2028-06", units: 5000}')
    one(text, "customers.ee-df.targets[0].item", "unknown item atm-9", "atm-9")


def test_initial_stock_of_unknown_item() -> None:
    text = edit("initial_stock: {atm-1: 100}", "initial_stock:\n      atm-1: 100\n      atm-9: 5")
    one(text, "customers.lv-naf.initial_stock.atm-9", "unknown item atm-9", "atm-9: 5")


def test_consumption_of_unknown_item() -> None:
    text = edit("consumption: {atm-1: 0}", "consumption:\n      atm-9: 3")
    one(text, "customers.lt-af.consumption.atm-9", "unknown item atm-9", "atm-9: 3")


def test_consumption_month_beyond_the_horizon() -> None:
    text = edit('"2027-01": 40}', '"2029-01": 40}')
    one(text, "customers.ee-df.consumption.atm-1.2029-01", "2029-01 is beyond the horizon", '"2029-01": 40')


# --- months, quantities, ranges ---------------------------------------------------------------


@pytest.mark.parametrize(
    "written,message",
    [
        ('"2026-13"', '"2026-13" is not a month written "YYYY-MM"'),
        ('"2026-1"', '"2026-1" is not a month written "YYYY-MM"'),
        ('"2026-00"', '"2026-00" is not a month written "YYYY-MM"'),
        ('"26-01"', '"26-01" is not a month written "YYYY-MM"'),
        ('"2026-01-15"', '"2026-01-15" is not a month written "YYYY-MM"'),
        ("2026-01-15", '"2026-01-15" is not a month written "YYYY-MM"'),  # a YAML date stays text
        ("2026", None),  # read as a number: path and line are checked
    ],
)
def test_month_not_yyyy_mm(written: str, message: str | None) -> None:
    text = edit('horizon: {start: "2026-01", months: 36}', f"horizon:\n  months: 36\n  start: {written}")
    problems = problems_of(text)
    assert [(p.file, p.line, p.path) for p in problems] == [
        ("f.yaml", line(text, "start: " + written), "horizon.start")
    ]
    if message is not None:
        assert problems[0].message == message


@pytest.mark.parametrize(
    "old,new,path,at",
    [
        (
            "capacity_per_month: 1000",
            "capacity_per_month: -5",
            "sites.plant-lv.lines.line-2.capacity_per_month",
            "-5",
        ),
        ("spring: 2}", "spring: -2}", "items.fuze-assy.bom.spring", "spring: -2"),
        ("{body: 2000,", "{body: -2000,", "sites.plant-lv.initial_store.body", "-2000"),
        ("units: 20000}", "units: -1}", "customers.lv-naf.targets[0].units", "units: -1"),
        (
            "consumption: {atm-1: 50}",
            "consumption: {atm-1: -50}",
            "customers.lv-naf.consumption.atm-1",
            "-50",
        ),
        ("{price: 3}", "{price: -3}", "suppliers.steel-lv.supplies.crate.price", "-3"),
        ("rate_per_year: 0.01", "rate_per_year: -0.01", "risks[1].rate_per_year", "-0.01"),
        ("capex: 9000000", "capex: -9000000", "sites.plant-lv.lines.line-2.capex", "-9000000"),
    ],
)
def test_negative_quantity(old: str, new: str, path: str, at: str) -> None:
    text = edit(old, new)
    value = re.search(r"(?<= )-[0-9.]+", new).group()  # type: ignore[union-attr]
    one(text, path, f"must be >= 0, found {value}", at)


def test_triangular_min_greater_than_mode() -> None:
    text = edit("[0.5, 1, 3]", "[2, 1, 3]")
    one(
        text,
        "sites.plant-lv.lines.line-1.outage.recovery_months",
        "min 2 is greater than mode 1 (write [min, mode, max])",
        "[2, 1, 3]",
    )


def test_triangular_mode_greater_than_max() -> None:
    text = edit("duration_months: [2, 3, 5]", "duration_months: [2, 6, 5]")
    one(
        text,
        "programme.tasks.sat-line-1.duration_months",
        "mode 6 is greater than max 5 (write [min, mode, max])",
        "sat-line-1: {",
    )


def test_triangular_constant_is_fine() -> None:
    from bastion.scenario import load_text

    s = load_text(edit("duration_months: [3, 4, 8]", "duration_months: [4, 4, 4]"))
    assert s.programme is not None and s.programme.tasks["site-permit"].duration_months == (4, 4, 4)


@pytest.mark.parametrize("written", ["[1, 2]", "[1]", "[]", "[1, 2, 3, 4]"])
def test_range_with_wrong_count_of_numbers(written: str) -> None:
    text = edit("recovery_months: [1, 2, 4]", f"recovery_months: {written}")
    one(
        text,
        "suppliers.steel-lv.disruption.recovery_months",
        "expected a range [min, mode, max] of 3 numbers",
        f"recovery_months: {written}",
    )


# --- risks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old,new,path,message",
    [
        (
            "{suppliers: [fuze-no]}",
            "{suppliers: [fuze-no, fuze-xx]}",
            "risks[0].applies_to.suppliers[1]",
            "unknown supplier fuze-xx",
        ),
        (
            "{lines: [line-1], sites",
            "{lines: [line-9], sites",
            "risks[1].applies_to.lines[0]",
            "unknown line line-9",
        ),
        ("sites: [plant-lv]}", "sites: [plant-xx]}", "risks[1].applies_to.sites[0]", "unknown site plant-xx"),
    ],
)
def test_risk_applies_to_unknown_node(old: str, new: str, path: str, message: str) -> None:
    text = edit(old, new)
    one(text, path, message, new)


def test_duplicate_risk_id() -> None:
    text = edit("  - id: plant-fire", "  - id: fuze-export-ban")
    lines = text.splitlines()
    at = max(n for n, t in enumerate(lines, 1) if t == "  - id: fuze-export-ban")
    assert messages_of(text) == [f"f.yaml:{at}: risks[1].id: risk id fuze-export-ban is used twice"]


# --- format ---------------------------------------------------------------------------------


def test_unknown_key_with_did_you_mean() -> None:
    text = edit("ramp_months: 6", "ramp_month: 6")
    [message] = messages_of(text)
    prefix = f"f.yaml:{line(text, 'ramp_month: 6')}: sites.plant-lv.lines.line-1.ramp_month: "
    assert message.startswith(prefix + "unknown key ramp_month (did you mean ramp_months?)")


def test_unknown_top_level_key_with_did_you_mean() -> None:
    text = edit("\nbudget:", "\nbugdet:")
    [message] = messages_of(text)
    assert message.startswith(
        f"f.yaml:{line(text, 'bugdet:')}: bugdet: unknown key bugdet (did you mean budget?)"
    )


def test_unknown_key_without_close_match() -> None:
    text = edit("  lt-af:\n", "  lt-af:\n    zzzz: 1\n")
    [message] = messages_of(text)
    assert message.startswith(
        f"f.yaml:{line(text, 'zzzz')}: customers.lt-af.zzzz: unknown key zzzz; allowed: "
    )
    assert "did you mean" not in message


def test_missing_required_field_in_a_line() -> None:
    text = edit("\n        capacity_per_month: 1000\n", "\n")
    one(text, "sites.plant-lv.lines.line-2.capacity_per_month", "required field is missing", "line-2:")


def test_missing_required_top_level_field() -> None:
    text = edit('name: "Small test plant"\n', "")
    one(text, "name", "required field is missing", "bastion: 1")


def test_missing_country_of_a_supplier() -> None:
    text = edit("    country: LV\n    supplies:", "    supplies:")
    one(text, "suppliers.steel-lv.country", "required field is missing", "steel-lv:")


def test_country_no_unquoted() -> None:
    text = edit('country: "NO"', "country: NO")
    one(text, "suppliers.fuze-no.country", 'NO was read as a boolean; quote it: "NO"', "country: NO")


def test_country_not_a_code() -> None:
    text = edit("country: EE", "country: Estonia")
    one(
        text,
        "customers.ee-df.country",
        '"Estonia" is not a 2-letter upper-case ISO country code (e.g. LV)',
        "country: Estonia",
    )


def test_key_no_unquoted() -> None:
    text = edit("  fuze: {made: false}", "  fuze: {made: false}\n  no: {made: false}")
    one(text, "items.no", 'key no was read as a boolean (false); quote it: "no"', "  no: {")


def test_id_with_upper_case_letters() -> None:
    text = edit("  crate: {made: false}", "  Crate: {made: false}")
    one(text, "items.Crate", '"Crate" is not an id: use lower-case letters, digits, - _ .', "Crate")


def test_id_with_upper_case_letters_in_a_reference() -> None:
    text = edit("makes: [atm-1]", "makes: [ATM-1]")
    one(
        text,
        "sites.plant-lv.lines.line-1.makes[0]",
        '"ATM-1" is not an id: use lower-case letters, digits, - _ .',
        "ATM-1",
    )


def test_format_version_2() -> None:
    one(edit("bastion: 1", "bastion: 2"), "bastion", "format version must be 1, found 2", "bastion: 2")


def test_horizon_months_zero() -> None:
    one(edit("months: 36}", "months: 0}"), "horizon.months", "must be >= 1, found 0", "months: 0}")


def test_a_list_where_a_mapping_belongs() -> None:
    text = edit("    initial_store: {body: 2000, fuze: 500}", "    initial_store: [body, fuze]")
    one(text, "sites.plant-lv.initial_store", "expected a mapping (key: value), found a list", "[body, fuze]")


def test_duplicate_key() -> None:
    text = edit("  crate: {made: false}", "  crate: {made: false}\n  crate: {made: true}")
    first = line(text, "crate: {made: false}")
    one(text, "items.crate", f"duplicate key crate (first on line {first})", "crate: {made: true}")


# --- several problems at once ---------------------------------------------------------------


def test_several_cross_check_problems_at_once_sorted_by_line() -> None:
    text = edit("bom: {fuze: 1, spring: 2}", "bom: {fuze: 1, spring: 2, gear: 1}")
    text = text.replace("uses: {engineering: 1}}", "uses: {welders: 1}}")
    text = text.replace('by: "2027-12"', 'by: "2029-01"')
    text = text.replace("{suppliers: [fuze-no]}", "{suppliers: [fuze-xx]}")
    text = text.replace("makes: [atm-1]", "makes: [gadget]")
    expected = [
        f"f.yaml:{line(text, 'gear: 1')}: items.fuze-assy.bom.gear: unknown item gear",
        f"f.yaml:{line(text, '[gadget]')}: sites.plant-lv.lines.line-1.makes[0]: unknown item gadget",
        f"f.yaml:{line(text, 'welders')}: programme.tasks.building.uses.welders: unknown resource welders",
        f"f.yaml:{line(text, '2029-01')}: customers.lv-naf.targets[0].by: "
        "2029-01 is beyond the horizon (last month 2028-12)",
        f"f.yaml:{line(text, 'fuze-xx')}: risks[0].applies_to.suppliers[0]: unknown supplier fuze-xx",
    ]
    assert messages_of(text) == expected


def test_several_value_problems_at_once_sorted_by_line() -> None:
    text = edit("bastion: 1", "bastion: 2")
    text = text.replace("months: 36}", "months: 0}")
    text = text.replace('country: "NO"', "country: NO")
    text = text.replace("ramp_months: 6", "ramp_month: 6")
    text = text.replace("units: 20000}", "units: -1}")
    problems = problems_of(text)
    assert [(p.line, p.path) for p in problems] == [
        (1, "bastion"),
        (line(text, "months: 0}"), "horizon.months"),
        (line(text, "country: NO"), "suppliers.fuze-no.country"),
        (line(text, "ramp_month:"), "sites.plant-lv.lines.line-1.ramp_month"),
        (line(text, "units: -1"), "customers.lv-naf.targets[0].units"),
    ]
    assert [p.line for p in problems] == sorted(p.line for p in problems)
