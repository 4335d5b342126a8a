"""RunRecord helpers: ids, hashes, versions; and the package's public names."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import bastion.store
from bastion.store import RunRecord, new_run_id, package_versions, scenario_hash


def test_run_ids_carry_the_utc_time_and_sort_by_it() -> None:
    moment = datetime(2026, 11, 27, 4, 15, 0, tzinfo=UTC)
    run_id = new_run_id(moment)
    assert re.fullmatch(r"20261127-041500-[0-9a-f]{6}", run_id)
    assert new_run_id(moment + timedelta(seconds=1)) > run_id
    assert new_run_id(moment) != new_run_id(moment)


def test_new_fills_id_time_hash_and_versions() -> None:
    text = "name: x\n"
    record = RunRecord.new(
        scenario_name="x",
        scenario_file="x.yaml",
        scenario_text=text,
        seed=3,
        paths=100,
        status="ok",
        headline={"cost": 1.0},
    )
    assert record.scenario_hash == hashlib.sha256(text.encode()).hexdigest() == scenario_hash(text)
    assert record.created_at.tzinfo == UTC
    assert record.run_id.startswith(f"{record.created_at:%Y%m%d-%H%M%S}-")
    assert "python" in record.versions and "bastion" in record.versions
    assert record.results == {} and record.tables == {} and record.timings == {}


def test_package_versions_skip_what_is_not_installed() -> None:
    versions = package_versions(("bastion", "surely-not-installed-pkg"))
    assert set(versions) == {"python", "bastion"}


def test_public_names_exist_once() -> None:
    names = bastion.store.__all__  # ruff (RUF022) keeps it sorted
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(bastion.store, name), name
