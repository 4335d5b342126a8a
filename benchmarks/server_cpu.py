"""The workspace server's CPU time per request, one request at a time (what a request costs the server,
whatever the machine's load), and optionally a profile of each kind of request.

    python benchmarks/server_cpu.py [--url sqlite:///FILE | postgresql://...] [--requests 300] [--repeat 3]
                                    [--profile DIR]

It fills the store as `bench_server.py` does (1,000 scenarios, 10,000 runs) unless the store already
holds the benchmark's users (the ids it needs are kept in `FILE.json` beside a SQLite file, or in
`--ids`), starts `bastion serve --workers 0 --processes 1` on it and sends `--requests` requests of
each kind (list: a page of 50, get, get-run, diff) one after the other over one keep-alive
connection, `--repeat` times, alternating the kinds. It prints the server's CPU time per request
(user + system of the uvicorn processes, from /proc) for each pass, their median and the least (on
a shared machine the least is the steadiest: other processes only add to a pass's time).

`--profile DIR`: instead, run the application in this process with its thread-pool hops made direct
calls (so that cProfile sees the whole request in one thread), send the same requests through the
ASGI interface, and write one cProfile file per kind to DIR (`python -m pstats DIR/get.prof`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_server import cpu_s, fill, free_port  # noqa: E402


def prepared(url: str, ids_file: Path) -> dict[str, Any]:
    """The token and ids of a filled store (filling it on first use)."""
    if ids_file.exists():
        found: dict[str, Any] = json.loads(ids_file.read_text())
        return found
    t0 = time.perf_counter()
    token, visible, run_ids, revised = fill(url, 1000, 10_000)
    print(f"filled in {time.perf_counter() - t0:.0f} s", flush=True)
    out = {"token": token, "visible": visible, "runs": run_ids, "revised": revised}
    ids_file.write_text(json.dumps(out))
    return out


def paths_of(ids: dict[str, Any], n: int) -> dict[str, list[str]]:
    rng = random.Random(2)
    visible, runs, revised = ids["visible"], ids["runs"], ids["revised"]
    return {
        "list": [f"/api/v1/scenarios?limit=50&offset={50 * rng.randrange(len(visible) // 50)}" for _ in range(n)],
        "get": [f"/api/v1/scenarios/{rng.choice(visible)}" for _ in range(n)],
        "get-run": [f"/api/v1/runs/{rng.choice(runs)}" for _ in range(n)],
        "diff": [f"/api/v1/scenarios/{rng.choice(revised)}/diff?a=1&b=2" for _ in range(n)],
    }


def request(sock: socket.socket, reader: Any, path: str, token: str) -> bytes:
    """One GET over a keep-alive connection; the body (raises unless 200)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    status = reader.readline()
    length = -1
    while True:
        line = reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length < 0:  # reading to the end would wait for the kept-alive connection to close
        raise SystemExit(f"{path}: an answer without Content-Length ({status!r})")
    body: bytes = reader.read(length)
    if not status.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"{path}: {status!r} {body[:200]!r}")
    return body


def measure(url: str, ids: dict[str, Any], n: int, repeat: int) -> dict[str, list[float]]:
    port = free_port()
    env = {**os.environ, "BASTION_DATABASE_URL": url}
    with tempfile.TemporaryFile("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bastion", "serve", "--port", str(port), "--workers", "0", "--processes", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(600):
                try:
                    sock = socket.create_connection(("127.0.0.1", port))
                    break
                except OSError:
                    time.sleep(0.2)
            reader = sock.makefile("rb")
            kinds = paths_of(ids, n)
            for path in kinds["get"][:50] + kinds["list"][:20]:  # warm-up
                request(sock, reader, path, ids["token"])
            out: dict[str, list[float]] = {kind: [] for kind in kinds}
            for _ in range(repeat):
                for kind, paths in kinds.items():
                    cpu0 = cpu_s(server.pid)
                    for path in paths:
                        json.loads(request(sock, reader, path, ids["token"]))
                    out[kind].append(round(1000 * (cpu_s(server.pid) - cpu0) / n, 2))
            sock.close()
        finally:
            server.terminate()
            server.wait(60)
    return out


def profile(url: str, ids: dict[str, Any], n: int, folder: Path) -> None:
    """cProfile of each kind of request, the application in this thread (thread-pool hops made calls)."""
    import fastapi.dependencies.utils
    import fastapi.routing

    async def direct(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = direct  # type: ignore[assignment]
    fastapi.dependencies.utils.run_in_threadpool = direct  # type: ignore[attr-defined]
    import bastion.server.deps

    bastion.server.deps.run_in_threadpool = direct  # type: ignore[assignment]  # the hot reads' one trip
    from bastion.server import ServerSettings, create_app

    app = create_app(ServerSettings(database_url=url, run_jobs=False))
    token = ids["token"].encode()

    async def call(path: str) -> bytes:
        raw, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": raw, "raw_path": raw.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": [(b"host", b"bench"), (b"authorization", b"Bearer " + token)],
                 "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "app": app}
        chunks: list[bytes] = []
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        if status != [200]:
            raise SystemExit(f"{path}: {status} {b''.join(chunks)[:200]!r}")
        return b"".join(chunks)

    async def run() -> None:
        kinds = paths_of(ids, n)
        for path in kinds["get"][:50]:
            await call(path)
        folder.mkdir(parents=True, exist_ok=True)
        for kind, paths in kinds.items():
            profiler = cProfile.Profile()
            cpu0 = time.process_time()
            profiler.enable()
            for path in paths:
                await call(path)
            profiler.disable()
            cpu = 1000 * (time.process_time() - cpu0) / n
            profiler.dump_stats(str(folder / f"{kind}.prof"))
            print(f"{kind:8s} {cpu:.2f} ms CPU a request under cProfile (in process)", flush=True)

    asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=f"sqlite:///{tempfile.gettempdir()}/bastion-server-cpu.sqlite")
    ap.add_argument("--ids", type=Path, help="where the filled store's token and ids are kept")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", type=Path)
    args = ap.parse_args()
    if args.ids is None and not args.url.startswith("sqlite:///"):
        ap.error("--ids FILE is needed with a database that is not a SQLite file")
    ids_file = args.ids or Path(args.url.split("///", 1)[-1] + ".json")
    ids = prepared(args.url, ids_file)
    if args.profile:
        profile(args.url, ids, args.requests, args.profile)
        return
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    out = measure(args.url, ids, args.requests, args.repeat)
    for kind, values in out.items():
        print(f"{kind:8s} server CPU ms a request: median {statistics.median(values):.2f}, least {min(values):.2f}"
              f"  (passes {values})")
    print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
