"""PostgreSQL never hangs the store: a statement timeout and a connect timeout by default."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bastion.store import RunStore, StoreUnavailable
from bastion.store.engine import STATEMENT_TIMEOUT_S


def test_the_statement_timeout_is_set(postgres_url: str) -> None:
    with RunStore.open(postgres_url) as store:
        engine = store._engine
        with engine.connect() as connection:
            assert connection.scalar(text("SHOW statement_timeout")) == f"{STATEMENT_TIMEOUT_S}s"


def test_a_locked_table_gives_one_line_not_a_hang(postgres_url: str) -> None:
    RunStore.open(postgres_url).close()  # the schema
    locker = create_engine(postgres_url)
    quick = postgres_url + "?options=-c%20statement_timeout%3D300"  # the URL's own setting wins
    try:
        with locker.connect() as holding, holding.begin():
            holding.execute(text("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE"))
            with RunStore.open(quick) as store, pytest.raises(StoreUnavailable) as caught:
                store.list()
        message = str(caught.value)
        assert message.startswith(f"the run store {quick} did not answer in time (listing runs): ")
        assert "statement timeout" in message and "\n" not in message
    finally:
        locker.dispose()
