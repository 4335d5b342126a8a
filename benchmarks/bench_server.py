"""Benchmark the workspace server (`bastion serve`) under concurrent readers, on SQLite and PostgreSQL.

    python benchmarks/bench_server.py [--backend sqlite,postgresql] [--scenarios 1000] [--runs 10000]
                                      [--readers 20] [--requests 400] [--processes 1,2] [--client raw,httpx]
                                      [--json FILE]

For each backend it fills a fresh store directly through the repository layer (`--scenarios`
scenarios, each with one revision of a small scenario, 70 % owned by the reader's nation,
20 % released to it by another nation, 10 % not released to it; `--runs` finished runs spread
over them), starts a real `bastion serve --workers 0 --processes N` (uvicorn, in a child process, with
N worker processes for each N of `--processes`) and sends
`--requests` requests of each kind from `--readers` concurrent clients, with each load client of
`--client` in turn: `raw` (asyncio streams, one HTTP/1.1 keep-alive connection per reader, parsing
only the status line and Content-Length; one body in 5 and every refusal parsed as JSON, a body
that does not parse counted as `bad-json`; about 0.15 ms of the client's CPU per request) and
`httpx` (an `httpx.AsyncClient`: 1.2-1.7 ms per request, on the same cores as the server):

- list: `GET /api/v1/scenarios?limit=50&offset=...` (a page of 50 at a random offset);
- list-all: `GET /api/v1/scenarios` (every scenario visible to the reader: about 900);
- get: `GET /api/v1/scenarios/{id}` (a random visible one, with its text);
- get-run: `GET /api/v1/runs/{id}` (a random visible run);
- diff: `GET /api/v1/scenarios/{id}/diff?a=1&b=2` (one of the 140 scenarios given a second
  revision, a changed line capacity).

It prints p50/p95/max latency (ms), requests per second, the server's CPU time per request
(user + system of the uvicorn processes, supervisor and workers, from /proc: what a request costs,
whatever the machine's load), on PostgreSQL the database server's CPU time per request
(`database_cpu_ms`: the throwaway server's postmaster and backends, from /proc; it shares the cores),
the load client's own CPU time per request (it runs on the same
machine: on a small one it takes a share of the cores the server would use) and the 1-minute
load average per kind, the rate at which
`POST /api/v1/runs` queues jobs from the same 20 clients, the rate at which the queue claims
them (`jobs.claim_job`, what the dispatcher does before handing a job to Dask), and the
server's resident memory (VmRSS of the uvicorn processes, summed) after the load. PostgreSQL: a
throwaway server (`initdb` + `pg_ctl` in a temporary folder, as tests/store/conftest.py does).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.store.conftest: find_postgres_bin

SMALL = """\
bastion: 1
name: {name}
horizon: {{start: "2026-01", months: 24}}
items:
  widget: {{made: true, bom: {{part: 1}}}}
  part: {{made: false}}
suppliers:
  s1:
    country: LV
    supplies:
      part: {{price: 10, lead_time_months: 1, capacity_per_month: 1000}}
sites:
  p1:
    country: LV
    lines:
      l1: {{makes: [widget], capacity_per_month: 100, online: "2026-03", capex: 1000}}
customers:
  army:
    country: LV
    targets:
      - {{item: widget, by: "2027-06", units: 500}}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server; yields the URL of an empty database on it."""
    from tests.store.conftest import find_postgres_bin

    bindir = find_postgres_bin()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (initdb, pg_ctl)")
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="bastion-bench-pg-"))
    if os.geteuid() == 0:
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "bastion", "-A", "trust", "-E", "UTF8",
                    "--no-locale", "--no-sync"], check=True, capture_output=True)
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        admin = f"postgresql+psycopg://bastion@127.0.0.1:{port}/postgres"
        from sqlalchemy import create_engine, text

        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text('CREATE DATABASE "bench"'))
        engine.dispose()
        DATABASE_DIRS.append(data)
        yield f"postgresql+psycopg://bastion@127.0.0.1:{port}/bench"
    finally:
        DATABASE_DIRS.remove(data)
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def fill(url: str, scenarios: int, runs: int) -> tuple[str, list[str], list[str], list[str]]:
    """Users, scenarios and finished runs written through the repository; (token, visible ids, run ids,
    ids of scenarios with two revisions)."""
    from bastion.server.db import Database
    from bastion.server.repository import Caller, Releasability, Runs, Scenarios, Users
    from bastion.server.users import add_user

    db = Database(url)
    token = secrets.token_urlsafe(32)
    visible: list[str] = []
    run_ids: list[str] = []
    revised: list[str] = []
    rng = random.Random(1)
    with db.transaction() as session:
        reader = add_user(session, "reader", "analyst", "LVA", "SECRET", "correct horse battery")
        add_user(session, "est", "analyst", "EST", "SECRET", "correct horse battery")
        add_user(session, "ltu", "analyst", "LTU", "SECRET", "correct horse battery")
        Users(session).issue_token(reader, token, 24 * 3600)
        made = []
        for i in range(scenarios):
            kind = i % 10
            nation, rel = ("LVA", ("EST",)) if kind < 7 else ("EST", ("LVA",)) if kind < 9 else ("LTU", ())
            caller = Caller(nation.lower(), "analyst", nation, "SECRET")
            text = SMALL.format(name=f"Scenario {i}")
            scenario = Scenarios(session, caller).create(
                f"Scenario {i}", text, hashlib.sha256(text.encode()).hexdigest(), "bench",
                Releasability("RESTRICTED", nation, rel))
            made.append((scenario, caller))
            if kind < 9:
                visible.append(scenario.id)
            if i % 5 == 0 and kind < 7:
                text2 = text.replace("capacity_per_month: 100,", "capacity_per_month: 120,")
                Scenarios(session, caller).add_revision(
                    scenario, f"Scenario {i}", text2, hashlib.sha256(text2.encode()).hexdigest(), "more",
                    Releasability("RESTRICTED", nation, rel))
                revised.append(scenario.id)
        now = datetime.now(UTC)
        for j in range(runs):
            scenario, caller = made[rng.randrange(len(made))]
            run = Runs(session, caller).add(scenario, 1, 1000, j)
            run.status, run.stage, run.finished_at = "done", "done", now
            run.run_id = f"run-{j}"
            run.result = {"run_id": run.run_id, "status": "ok", "plan_cost": 1000.0 + j}
            if scenario.id in visible:
                run_ids.append(run.id)
            if j % 2000 == 1999:
                session.flush()
    db.close()
    return token, visible, run_ids, revised


def family(pid: int) -> list[int]:
    """`pid` and its child processes (uvicorn's workers under `--processes N`)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


DATABASE_DIRS: list[Path] = []
"""The data folder of the throwaway PostgreSQL server running (`postgres`), for `database_cpu_s`."""


def database_cpu_s() -> float | None:
    """User + system CPU seconds of the throwaway PostgreSQL server so far: its postmaster, the backends
    it has reaped (their time is its children's) and those still running; None without one."""
    if not DATABASE_DIRS:
        return None
    postmaster = int((DATABASE_DIRS[-1] / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])
    for child in family(postmaster)[1:]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile (its time is now the postmaster's children's)
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` and its children so far."""
    total = 0.0
    for one in family(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mib(pid: int) -> float:
    """Resident memory of `pid` and its children (MiB)."""
    total = 0.0
    for one in family(pid):
        try:
            lines = Path(f"/proc/{one}/status").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) / 1024 for line in lines if line.startswith("VmRSS:"))
    return total


Codes = dict[int | str, int]
"""Answers by status code, or by the name of the transport error."""


async def load(base: str, token: str, paths: list[str], readers: int) -> tuple[list[float], float, Codes]:
    """Send every path once from `readers` concurrent clients; (latencies in ms, seconds, status counts)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    latencies: list[float] = []
    codes: Codes = {}
    limits = httpx.Limits(max_connections=readers, max_keepalive_connections=readers)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120,
                                 limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                path = queue.get_nowait()
                t0 = time.perf_counter()
                try:
                    if path.startswith("POST "):
                        answer = await client.post("/api/v1/runs", json=json.loads(path[5:]))
                    else:
                        answer = await client.get(path)
                    code: int | str = answer.status_code
                except httpx.TransportError as error:  # counted, not fatal: a dropped connection
                    code = type(error).__name__
                latencies.append((time.perf_counter() - t0) * 1000)
                codes[code] = codes.get(code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(readers)))
    return latencies, time.perf_counter() - t0, codes


async def raw_load(base: str, token: str, paths: list[str], readers: int) -> tuple[list[float], float, Codes]:
    """As `load`, with a cheaper client: `readers` raw asyncio connections (HTTP/1.1 keep-alive), each
    parsing only the status line and Content-Length of an answer and reading its body. Every answer's
    status is counted; one body in `CHECK_EVERY` (and every body that is not a 200 or 202) is parsed
    as JSON, and a body that does not parse is counted as `bad-json`, so the numbers cannot come
    from answers that are not what they claim."""
    host, _, port = base.removeprefix("http://").partition(":")
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    latencies: list[float] = []
    codes: Codes = {}
    auth = f"Authorization: Bearer {token}\r\n"

    def request_bytes(path: str) -> bytes:
        if path.startswith("POST "):
            body = path[5:].encode()
            return (f"POST /api/v1/runs HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        count = 0
        try:
            while not queue.empty():
                path = queue.get_nowait()
                t0 = time.perf_counter()
                code: int | str
                try:
                    writer.write(request_bytes(path))
                    status = await reader.readline()
                    code = int(status.split(b" ", 2)[1])
                    length, close = -1, False
                    while (line := await reader.readline()) not in (b"\r\n", b""):
                        name, _, value = line.partition(b":")
                        name = name.strip().lower()
                        if name == b"content-length":
                            length = int(value)
                        elif name == b"connection" and b"close" in value.lower():
                            close = True
                    if length < 0:
                        raise ConnectionError("an answer without Content-Length")
                    body = await reader.readexactly(length)
                except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
                    code, close, body = type(error).__name__, True, b""
                latencies.append((time.perf_counter() - t0) * 1000)
                count += 1
                if isinstance(code, int) and (code not in (200, 202) or count % CHECK_EVERY == 0):
                    try:
                        json.loads(body)
                        codes["json-checked"] = codes.get("json-checked", 0) + 1
                    except ValueError:
                        code = "bad-json"
                codes[code] = codes.get(code, 0) + 1
                if close:
                    writer.close()
                    for attempt in range(100):  # a refused reconnect is counted, not fatal (for 5 s)
                        try:
                            reader, writer = await asyncio.open_connection(host, int(port))
                            break
                        except OSError as error:
                            if attempt == 99:
                                raise
                            name = type(error).__name__
                            codes[name] = codes.get(name, 0) + 1
                            await asyncio.sleep(0.05)
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(readers)))
    return latencies, time.perf_counter() - t0, codes


CHECK_EVERY = 5
"""The raw client parses one answer's body in this many as JSON (and every answer that is not 200/202)."""

CLIENTS = {"httpx": load, "raw": raw_load}


def summary(latencies: list[float], seconds: float, codes: Codes) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1), "max_ms": round(ordered[-1], 1),
            "per_s": round(len(ordered) / seconds, 1), "codes": codes}


def bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    token, visible, run_ids, revised = fill(url, args.scenarios, args.runs)
    out: dict[str, Any] = {"fill_s": round(time.perf_counter() - t0, 1)}
    for count in args.processes.split(","):
        print(f" --processes {count}", flush=True)
        out[f"processes={count}"] = serve_and_load(url, args, int(count), token, visible, run_ids, revised)
    from bastion.server import jobs
    from bastion.server.db import Database

    db = Database(url)
    t0 = time.perf_counter()
    claimed = 0
    while jobs.claim_job(db) is not None:
        claimed += 1
    seconds = time.perf_counter() - t0
    db.close()
    out["claims"] = {"n": claimed, "per_s": round(claimed / seconds, 1)}
    print(f"  claims   {out['claims']}", flush=True)
    return out


def serve_and_load(url: str, args: argparse.Namespace, processes: int, token: str, visible: list[str],
                   run_ids: list[str], revised: list[str]) -> dict[str, Any]:
    """A `bastion serve --processes N` on the filled store under the load of every kind of request."""
    port = free_port()
    env = {**os.environ, "BASTION_DATABASE_URL": url}
    fd, log_name = tempfile.mkstemp(prefix="bastion-bench-serve-", suffix=".log")
    with os.fdopen(fd, "w") as log:  # the child keeps its own copy
        server = subprocess.Popen([sys.executable, "-m", "bastion", "serve", "--port", str(port), "--workers", "0",
                                   "--processes", str(processes)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    print(f"  server log: {log_name}", flush=True)
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {}
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        out["rss_start_mib"] = round(rss_mib(server.pid), 1)
        rng = random.Random(2)
        kinds = {
            "list": [f"/api/v1/scenarios?limit=50&offset={50 * rng.randrange(len(visible) // 50)}"
                     for _ in range(args.requests)],
            "list-all": ["/api/v1/scenarios"] * max(args.requests // 8, args.readers),
            "get": [f"/api/v1/scenarios/{rng.choice(visible)}" for _ in range(args.requests)],
            "get-run": [f"/api/v1/runs/{rng.choice(run_ids)}" for _ in range(args.requests)],
            "diff": [f"/api/v1/scenarios/{rng.choice(revised)}/diff?a=1&b=2" for _ in range(args.requests)],
        }
        asyncio.run(load(base, token, kinds["get"][:40], args.readers))  # warm-up
        posts = [f"POST {json.dumps({'scenario_id': rng.choice(visible), 'paths': 10})}"
                 for _ in range(args.requests // 2)]
        for client in args.client.split(","):
            out[client] = mine = {}
            for kind, paths in [*kinds.items(), ("queue-run", posts)]:
                cpu0, client0, db0 = cpu_s(server.pid), time.process_time(), database_cpu_s()
                mine[kind] = summary(*asyncio.run(CLIENTS[client](base, token, paths, args.readers)))
                mine[kind]["server_cpu_ms"] = round(1000 * (cpu_s(server.pid) - cpu0) / len(paths), 2)
                if db0 is not None and (db1 := database_cpu_s()) is not None:
                    mine[kind]["database_cpu_ms"] = round(1000 * (db1 - db0) / len(paths), 2)
                mine[kind]["client_cpu_ms"] = round(1000 * (time.process_time() - client0) / len(paths), 2)
                mine[kind]["load1"] = round(os.getloadavg()[0], 1)
                print(f"  {client:5s} {kind:9s} {mine[kind]}", flush=True)
        out["rss_after_mib"] = round(rss_mib(server.pid), 1)
    finally:
        server.terminate()
        server.wait(60)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", default="sqlite,postgresql")
    ap.add_argument("--scenarios", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--processes", default="1,2", help="comma-separated `bastion serve --processes` counts, each "
                    "measured on the same store, e.g. 1,2,4")
    ap.add_argument("--client", default="raw,httpx", help="comma-separated load clients, each measured in turn: "
                    "raw (asyncio streams, HTTP/1.1 keep-alive: the cheaper) or httpx (an httpx.AsyncClient)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)), "load_before": os.getloadavg(), "args": vars(args) | {"json": None},
    }
    for backend in args.backend.split(","):
        print(f"{backend}: {args.scenarios} scenarios, {args.runs} runs, {args.readers} readers", flush=True)
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                results[backend] = bench(f"sqlite:///{folder}/bench.sqlite", args)
        else:
            with postgres() as url:
                results[backend] = bench(url, args)
    results["load_after"] = os.getloadavg()
    print(json.dumps({k: results[k] for k in ("date", "machine", "cpus", "load_before", "load_after")}))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
