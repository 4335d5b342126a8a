"""A separate process that saves runs, for the kill and concurrency tests (not a test module).

python child_save.py URL hold RUN_ID ROWS
    save one large run, and hold its transaction open (after flushing every row)
    for a minute, printing "SAVING RUN_ID" first: the test kills it then.
python child_save.py URL many PREFIX COUNT ROWS START_AT [HOLD_S]
    wait until the epoch time START_AT, open the store (migrating it if new), save COUNT
    runs PREFIX-000... each holding its transaction HOLD_S seconds; print "DONE".
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from bastion.store import RunRecord, RunStore, scenario_hash


def record(run_id: str, rows: int) -> RunRecord:
    text = f"name: child {run_id}\nrows: {rows}\n"
    return RunRecord(
        run_id=run_id,
        created_at=datetime.now(UTC),
        scenario_name=f"child {run_id}",
        scenario_file="child.yaml",
        scenario_text=text,
        scenario_hash=scenario_hash(text),
        seed=1,
        paths=100,
        versions={"bastion": "test"},
        timings={"save": 0.0},
        status="ok",
        headline={"rows": rows},
        results={f"engine{i}": {"values": list(range(100))} for i in range(20)},
        tables={
            f"table{t}": [{"row": i, "value": i * 0.5, "label": f"r{i}"} for i in range(rows)]
            for t in range(10)
        },
    )


def hold_inside_transaction(seconds: float, announce: str | None) -> None:
    """Before each commit: write every pending row, say so, then wait `seconds`."""

    def before_commit(session: Session) -> None:
        session.flush()
        if announce is not None:
            print(announce, flush=True)
        time.sleep(seconds)

    event.listen(Session, "before_commit", before_commit)


def main(argv: list[str]) -> None:
    url, mode, *rest = argv
    if mode == "hold":
        run_id, rows = rest[0], int(rest[1])
        with RunStore.open(url) as store:
            hold_inside_transaction(60.0, f"SAVING {run_id}")
            store.save(record(run_id, rows))
        print("COMMITTED", flush=True)  # never reached: the test kills the process first
    elif mode == "many":
        prefix, count, rows, start_at = rest[0], int(rest[1]), int(rest[2]), float(rest[3])
        hold = float(rest[4]) if len(rest) > 4 else 0.0
        time.sleep(max(0.0, start_at - time.time()))
        with RunStore.open(url) as store:
            if hold:
                hold_inside_transaction(hold, None)
            for index in range(count):
                store.save(record(f"{prefix}-{index:03d}", rows))
        print("DONE", flush=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
