"""The optional `releasability` section: valid forms and each error as `FILE:LINE: path: message`."""

from __future__ import annotations

from scenario_helpers import VALID_YAML, messages_of

from bastion.scenario import dump_scenario, load_text


def with_rel(block: str) -> str:
    """The valid scenario with `block` (YAML lines, top level) after the currency."""
    assert VALID_YAML.count("currency: EUR\n") == 1
    return VALID_YAML.replace("currency: EUR\n", "currency: EUR\n" + block + "\n")


def line_of(text: str, snippet: str) -> int:
    found = [n for n, t in enumerate(text.splitlines(), 1) if snippet in t]
    assert len(found) == 1, (snippet, found)
    return found[0]


def test_left_out_means_none() -> None:
    assert load_text(VALID_YAML, "f.yaml").releasability is None


def test_full_section_is_read_and_round_trips() -> None:
    text = with_rel("releasability:\n  level: RESTRICTED\n  owner: LVA\n  releasable_to: [EST, LTU]")
    rel = load_text(text, "f.yaml").releasability
    assert rel is not None
    assert (rel.level, rel.owner, rel.releasable_to) == ("RESTRICTED", "LVA", ["EST", "LTU"])
    again = load_text(dump_scenario(load_text(text, "f.yaml")), "again.yaml")
    assert again.releasability == rel


def test_defaults_level_unclassified_no_owner_no_nations() -> None:
    rel = load_text(with_rel("releasability: {}"), "f.yaml").releasability
    assert rel is not None
    assert (rel.level, rel.owner, rel.releasable_to) == ("UNCLASSIFIED", None, [])


def test_level_outside_the_enumeration() -> None:
    text = with_rel("releasability:\n  level: restricted")
    assert messages_of(text) == [
        f"f.yaml:{line_of(text, 'level: restricted')}: releasability.level: input should be 'UNCLASSIFIED', "
        "'RESTRICTED', 'CONFIDENTIAL' or 'SECRET', found \"restricted\""
    ]


def test_nation_codes_must_be_three_capitals() -> None:
    text = with_rel("releasability:\n  owner: lva\n  releasable_to:\n    - EST\n    - LT\n    - E1T")
    alpha3 = "is not a 3-letter upper-case ISO 3166-1 alpha-3 nation code (e.g. LVA)"
    assert messages_of(text) == [
        f"f.yaml:{line_of(text, 'owner: lva')}: releasability.owner: \"lva\" {alpha3}",
        f"f.yaml:{line_of(text, '- LT')}: releasability.releasable_to[1]: \"LT\" {alpha3}",
        f"f.yaml:{line_of(text, '- E1T')}: releasability.releasable_to[2]: \"E1T\" {alpha3}",
    ]


def test_nation_read_as_a_boolean_or_number_says_to_quote() -> None:
    text = with_rel("releasability:\n  owner: NO\n  releasable_to: [123]")
    assert messages_of(text) == [
        f"f.yaml:{line_of(text, 'owner: NO')}: releasability.owner: NO was read as a boolean; quote it: \"NO\"",
        f"f.yaml:{line_of(text, '[123]')}: releasability.releasable_to[0]: 123 was read as a number; quote it: \"123\"",
    ]


def test_duplicate_nation_in_releasable_to() -> None:
    text = with_rel("releasability:\n  owner: LVA\n  releasable_to:\n    - EST\n    - LTU\n    - EST  # again")
    assert messages_of(text) == [
        f"f.yaml:{line_of(text, 'EST  # again')}: releasability.releasable_to[2]: EST is listed twice (first at [0])"
    ]


def test_owner_repeated_in_releasable_to() -> None:
    text = with_rel("releasability:\n  owner: LVA\n  releasable_to:\n    - EST\n    - LVA")
    assert messages_of(text) == [
        f"f.yaml:{line_of(text, '- LVA')}: releasability.releasable_to[1]: "
        "LVA is the owner: list only the other nations"
    ]


def test_unknown_key_null_and_wrong_shape() -> None:
    text = with_rel("releasability:\n  level: SECRET\n  nations: [EST]")
    assert messages_of(text) == [
        f"f.yaml:{line_of(text, 'nations:')}: releasability.nations: unknown key nations; "
        "allowed: level, owner, releasable_to"
    ]
    text = with_rel("releasability:\n  owner: ~")
    assert messages_of(text) == [
        f"f.yaml:{line_of(text, 'owner: ~')}: releasability.owner: no value (null): "
        "give a value, or leave the key out for its default"
    ]
    text = with_rel("releasability: [LVA]")
    assert messages_of(text) == [
        f"f.yaml:{line_of(text, 'releasability:')}: releasability: expected a mapping (key: value), found a list"
    ]



def marking_of(classification: str, block: str | None) -> str:
    """The marking of the valid scenario with `classification` and the releasability `block`."""
    text = VALID_YAML if block is None else with_rel(block)
    text = text.replace('classification: "UNCLASSIFIED // TEST"', f'classification: "{classification}"')
    return load_text(text, "f.yaml").marking()


def test_marking_is_the_classification_without_releasability() -> None:
    assert marking_of("RESTRICTED", None) == "RESTRICTED"


def test_marking_with_releasability() -> None:
    rel = "releasability: {level: RESTRICTED, owner: LVA, releasable_to: [EST, LTU]}"
    # a classification that is a level name is not repeated: the higher of the two is shown
    assert marking_of("RESTRICTED", rel) == "RESTRICTED // REL TO LVA, EST, LTU"
    assert marking_of("UNCLASSIFIED", rel) == "RESTRICTED // REL TO LVA, EST, LTU"
    assert marking_of("SECRET", rel) == "SECRET // REL TO LVA, EST, LTU"
    assert marking_of("UNCLASSIFIED // TEST", rel) == "UNCLASSIFIED // TEST // RESTRICTED // REL TO LVA, EST, LTU"
    assert marking_of("SECRET", "releasability: {level: SECRET, owner: LVA}") == "SECRET // LVA ONLY"
    assert marking_of("UNCLASSIFIED", "releasability: {releasable_to: [EST]}") == "UNCLASSIFIED // REL TO EST"
    assert marking_of("NATO", "releasability: {level: CONFIDENTIAL}") == "NATO // CONFIDENTIAL"
