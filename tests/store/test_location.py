"""Where the store lives: explicit URL, $BASTION_DATABASE_URL, $BASTION_HOME, XDG, home."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bastion.store import RunStore, default_path, resolve_url
from bastion.store.engine import create_store_engine, normalise_url


def test_bastion_home_wins_over_xdg(tmp_path: Path) -> None:
    env = {"BASTION_HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    assert default_path(env) == tmp_path / "home" / "runs.sqlite"


def test_xdg_data_home_is_respected(tmp_path: Path) -> None:
    assert default_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "bastion" / "runs.sqlite"


def test_the_fallback_is_under_local_share(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_path({}) == tmp_path / ".local" / "share" / "bastion" / "runs.sqlite"
    assert default_path({"XDG_DATA_HOME": ""}) == tmp_path / ".local" / "share" / "bastion" / "runs.sqlite"


def test_resolution_order(tmp_path: Path) -> None:
    env = {"BASTION_HOME": str(tmp_path), "BASTION_DATABASE_URL": "postgresql+psycopg://u@h/db"}
    assert resolve_url("sqlite:///x.sqlite", env).render_as_string() == "sqlite:///x.sqlite"
    assert resolve_url(None, env).render_as_string() == "postgresql+psycopg://u@h/db"
    del env["BASTION_DATABASE_URL"]
    assert resolve_url(None, env).database == str(tmp_path / "runs.sqlite")


def test_a_bare_postgresql_url_uses_psycopg_3() -> None:
    assert normalise_url(make_url("postgresql://u@h/db")).drivername == "postgresql+psycopg"
    assert normalise_url(make_url("postgres://u@h/db")).drivername == "postgresql+psycopg"
    assert normalise_url(make_url("postgresql+psycopg2://u@h/db")).drivername == "postgresql+psycopg2"


def test_open_without_a_url_creates_the_default_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "not" / "yet"))
    with RunStore.open() as store:
        assert store.list() == []
        assert store.url == f"sqlite:///{tmp_path / 'not' / 'yet' / 'runs.sqlite'}"
    assert (tmp_path / "not" / "yet" / "runs.sqlite").is_file()


def test_database_url_env_overrides_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "unused"))
    monkeypatch.setenv("BASTION_DATABASE_URL", f"sqlite:///{tmp_path / 'chosen.sqlite'}")
    RunStore.open().close()
    assert (tmp_path / "chosen.sqlite").is_file()
    assert not (tmp_path / "unused").exists()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_store_engine(make_url(f"sqlite:///{tmp_path / 'runs.sqlite'}"))
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert (connection.scalar(text("PRAGMA busy_timeout")) or 0) >= 10_000
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
    finally:
        engine.dispose()
