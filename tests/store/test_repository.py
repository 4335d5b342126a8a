"""RunStore on SQLite and on a real PostgreSQL server: round trips, lookups, errors."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select

from bastion.store import (
    AmbiguousRunId,
    InvalidRecord,
    RunExists,
    RunNotFound,
    RunRecord,
    RunStore,
    RunSummary,
)
from bastion.store.schema import Run, RunResult, RunTable

MakeRecord = Callable[..., RunRecord]


@pytest.fixture
def store(store_url: str) -> Iterator[RunStore]:
    with RunStore.open(store_url) as opened:
        yield opened


def count_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.__tablename__: connection.scalar(select(func.count()).select_from(table)) or 0
                for table in (Run, RunResult, RunTable)
            }
    finally:
        engine.dispose()


def test_save_then_get_gives_back_the_same_record(store: RunStore, make_record: MakeRecord) -> None:
    record = make_record("20261127-041500-3f2a9c", rows=50)
    assert store.save(record) == record.run_id
    got = store.get(record.run_id)
    assert got == record
    assert list(got.results) == ["schedule", "plan", "simulate"]  # order kept
    assert list(got.tables) == ["production", "cash_by_year"]
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)


def test_text_and_json_keep_unicode_and_key_order(store: RunStore, make_record: MakeRecord) -> None:
    text = "name: Łódź — 155 mm « obus »\nnote: \"quoted\" 'single' \\ back\n\n"
    record = make_record(
        "r-unicode",
        scenario_text=text,
        results={"plan": {"zeta": 1, "alpha": [1.5, None, True, "ß"], "mid": {"b": 2, "a": 1}}},
    )
    store.save(record)
    got = store.get("r-unicode")
    assert got.scenario_text == text
    assert list(got.results["plan"]) == ["zeta", "alpha", "mid"]
    assert list(got.results["plan"]["mid"]) == ["b", "a"]
    assert got == record


def test_created_at_in_another_zone_comes_back_as_the_same_instant_in_utc(
    store: RunStore, make_record: MakeRecord
) -> None:
    paris = timezone(timedelta(hours=1))
    record = make_record("r-tz", created_at=datetime(2026, 11, 27, 5, 15, 30, 123456, tzinfo=paris))
    store.save(record)
    got = store.get("r-tz")
    assert got.created_at == datetime(2026, 11, 27, 4, 15, 30, 123456, tzinfo=UTC)
    assert got.created_at.tzinfo == UTC


def test_list_is_newest_first_with_summaries(store: RunStore, make_record: MakeRecord) -> None:
    for minutes in (0, 2, 1):
        store.save(make_record(f"run-{minutes}", minutes=minutes, status="short" if minutes == 2 else "ok"))
    summaries = store.list()
    assert [s.run_id for s in summaries] == ["run-2", "run-1", "run-0"]
    first = summaries[0]
    assert isinstance(first, RunSummary)
    record = make_record("run-2", minutes=2)
    assert first.status == "short"
    assert first.scenario_name == record.scenario_name
    assert first.scenario_hash == record.scenario_hash
    assert first.hash_prefix == record.scenario_hash[:12]
    assert first.headline == record.headline
    assert first.created_at == record.created_at
    assert [s.run_id for s in store.list(limit=2)] == ["run-2", "run-1"]
    assert len(store.list(limit=None)) == 3


def test_empty_store_lists_nothing(store: RunStore) -> None:
    assert store.list() == []


def test_delete_removes_the_run_with_its_results_and_tables(
    store: RunStore, store_url: str, make_record: MakeRecord
) -> None:
    store.save(make_record("keep-me"))
    store.save(make_record("drop-me"))
    assert store.delete("drop") == "drop-me"
    with pytest.raises(RunNotFound):
        store.get("drop-me")
    assert [s.run_id for s in store.list()] == ["keep-me"]
    assert count_rows(store_url) == {"runs": 1, "run_results": 3, "run_tables": 2}
    with pytest.raises(RunNotFound):
        store.delete("drop-me")


def test_a_unique_prefix_finds_the_run(store: RunStore, make_record: MakeRecord) -> None:
    store.save(make_record("20261127-041500-3f2a9c"))
    store.save(make_record("20261127-051500-aa0001"))
    assert store.get("20261127-04").run_id == "20261127-041500-3f2a9c"
    assert store.resolve("20261127-05") == "20261127-051500-aa0001"
    assert store.get("20261127-041500-3f2a9c").run_id == "20261127-041500-3f2a9c"


def test_an_ambiguous_prefix_is_an_error_naming_the_matches(store: RunStore, make_record: MakeRecord) -> None:
    store.save(make_record("20261127-041500-3f2a9c"))
    store.save(make_record("20261127-051500-aa0001"))
    with pytest.raises(AmbiguousRunId, match="ambiguous") as caught:
        store.get("20261127")
    assert caught.value.matches == ["20261127-041500-3f2a9c", "20261127-051500-aa0001"]
    assert "20261127-041500-3f2a9c" in str(caught.value)


def test_an_id_equal_to_another_ids_prefix_is_found_exactly(store: RunStore, make_record: MakeRecord) -> None:
    store.save(make_record("abc"))
    store.save(make_record("abcd"))
    assert store.get("abc").run_id == "abc"
    with pytest.raises(AmbiguousRunId):
        store.get("ab")


@pytest.mark.parametrize("wanted", ["nope", "", "20261127-041500-3F2A", "2026%", "2026_1127"])
def test_unknown_ids_raise_run_not_found(store: RunStore, make_record: MakeRecord, wanted: str) -> None:
    store.save(make_record("20261127-041500-3f2a9c"))
    with pytest.raises(RunNotFound, match="no run with id") as caught:
        store.get(wanted)
    assert isinstance(caught.value, LookupError)


def test_saving_an_id_twice_is_refused_and_keeps_the_first(store: RunStore, make_record: MakeRecord) -> None:
    first = make_record("same-id")
    store.save(first)
    with pytest.raises(RunExists, match="same-id"):
        store.save(make_record("same-id", status="short", rows=9))
    assert store.get("same-id") == first


def test_records_that_are_not_json_are_refused_and_nothing_lands(
    store: RunStore, store_url: str, make_record: MakeRecord
) -> None:
    with pytest.raises(InvalidRecord, match="results is not JSON-able"):
        store.save(make_record("nan", results={"simulate": {"p50": math.nan}}))
    with pytest.raises(InvalidRecord, match="tables is not JSON-able"):
        store.save(make_record("obj", tables={"t": [{"x": object()}]}))
    good = make_record("hash")
    with pytest.raises(InvalidRecord, match="scenario_hash"):
        store.save(dataclasses.replace(good, scenario_text=good.scenario_text + "# edited\n"))
    assert count_rows(store_url) == {"runs": 0, "run_results": 0, "run_tables": 0}


def test_a_naive_created_at_is_refused(make_record: MakeRecord) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_record("naive", created_at=datetime(2026, 11, 27, 4, 15))


def test_the_store_reopens_with_its_runs(store_url: str, make_record: MakeRecord) -> None:
    with RunStore.open(store_url) as first:
        first.save(make_record("persisted", rows=10))
    with RunStore.open(store_url) as second:
        assert second.get("persisted") == make_record("persisted", rows=10)


def test_url_hides_the_password(postgres_url: str) -> None:
    url = postgres_url.replace("bastion@", "bastion:secret@")
    with RunStore.open(url) as store:
        assert "secret" not in store.url
        assert store.url.startswith("postgresql+psycopg://bastion:***@")
