"""Fixtures of the web app's browser tests: a real `bastion serve` on a free loopback port with a
temporary SQLite store and users of two nations, and Debian's Chromium driven by Playwright.

One server and one browser for the package's browser tests (each test makes its own scenarios).
Each page a test visits is checked by `Checker.check`: axe-core finds no serious or critical
violation, the marking is at the top and bottom on screen and on every page printed to PDF, no
element is wider than a 1024 px screen, the console has no error, and a screenshot and the PDF
are kept under the test's tmp folder (printed with -s).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bastion.server.db import Database
from bastion.server.users import add_user

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery"
USERS = (
    ("ana", "analyst", "LVA", "SECRET"),
    ("eve", "analyst", "EST", "SECRET"),
    ("aud", "auditor", "LVA", "UNCLASSIFIED"),
    ("adm", "admin", "LVA", "UNCLASSIFIED"),
)

needs_browser = [
    pytest.mark.slow,  # a real server and browser: run first (tests/conftest.py)
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"browser test needs Debian's Chromium at {CHROMIUM} "
                       "(apt-get install chromium)"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="browser test needs the playwright package (pip install -e '.[dev]')"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    """A running server: its base URL, store URL and log file."""

    base: str
    db_url: str
    log: Path


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`bastion serve` (one run worker) on a free port, on a fresh SQLite store with the USERS."""
    folder = tmp_path_factory.mktemp("web-server")
    url = f"sqlite:///{folder / 'store.sqlite'}"
    db = Database(url)
    with db.transaction() as session:
        for name, role, nation, clearance in USERS:
            add_user(session, name, role, nation, clearance, PASSWORD)
    db.close()
    log = folder / "server.log"
    # one serving process: the package's pages and journeys, not the processes (test_processes.py and
    # the fresh start run the default); two would start in 5-10 s against 2-3 on the 2-core CI machine
    with serving({**os.environ, "BASTION_DATABASE_URL": url}, log, processes=1) as base:
        yield Live(base, url, log)


@contextmanager
def serving(env: dict[str, str], log: Path, cwd: Path | None = None, processes: int | None = None) -> Iterator[str]:
    """`bastion serve` from this checkout's sources on a free loopback port, with `env`, its output
    in `log`; the base URL once /healthz answers (a RuntimeError with the log if it never does).
    `processes`: `--processes` (None: serve's default, as a user gets it)."""
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)}
    port = _free_port()
    with log.open("wb") as out:
        more = [] if processes is None else ["--processes", str(processes)]
        process = subprocess.Popen([sys.executable, "-m", "bastion", "serve", "--host", "127.0.0.1",
                                    "--port", str(port), *more], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def axe_source() -> str | None:
    """axe-core's script, from the axe-playwright-python package (None where it is not installed)."""
    if importlib.util.find_spec("axe_playwright_python") is None:
        return None
    from importlib import resources

    return (resources.files("axe_playwright_python") / "axe.min.js").read_text("utf-8")


WIDE = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
          && !e.closest('.table-wrap') && !e.closest('pre'))
  .slice(0, 5)
  .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
"""Elements that reach beyond the screen's right edge (tables and code scroll inside their own box)."""


@dataclass
class Checker:
    """Checks every page a test visits; collects console errors and the pages seen."""

    shots: Path
    axe: str | None
    pdf: bool = True
    errors: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        def console(message: Any) -> None:
            if message.type != "error":
                return
            # A page answered with its error status (422 form, 404 not found) is what the test asks for
            # and checks itself; a script, style or fetch that fails still counts.
            document = message.location.get("url") == page.url
            if document and message.text.startswith("Failed to load resource: the server responded with a status"):
                return
            self.errors.append(f"{page.url}: {message.text}")

        page.on("console", console)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: page error: {e}"))

    def check(self, page: Any, name: str, marking: str | None = None) -> None:
        """axe-core (no serious/critical violation), the marking top and bottom, a screenshot."""
        page.wait_for_load_state("load")
        top = page.locator("#marking-top").inner_text().strip()
        bottom = page.locator("#marking-bottom").inner_text().strip()
        assert top and top == bottom, f"{name}: markings {top!r} / {bottom!r}"
        if marking is not None:
            assert top == marking.upper(), f"{name}: marking {top!r}, expected {marking!r}"
        if self.axe is not None:
            page.evaluate(self.axe)
            result = page.evaluate(
                "async () => { const r = await axe.run(document, {resultTypes: ['violations']}); "
                "return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
                "nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }")
            bad = [v for v in result if v["impact"] in ("serious", "critical")]
            assert bad == [], f"{name}: axe-core found {bad}"
        stem = self.shots / f"{len(self.seen):02d}-{name}"
        page.screenshot(path=str(stem.with_suffix(".png")), full_page=True)
        if self.pdf:
            printed_with_marking(page, stem.with_suffix(".pdf"), top)
        size = page.viewport_size
        page.set_viewport_size({"width": 1024, "height": 768})  # a projector: nothing wider than the screen
        # plotly redraws its charts on resize, debounced: a page of many charts on a loaded machine takes
        # a moment. Polled from here (wait_for_function would evaluate a string: the page's CSP forbids it).
        for _ in range(60):
            wide = page.evaluate(WIDE)
            if not wide:
                break
            page.wait_for_timeout(250)
        page.set_viewport_size(size)
        assert wide == [], f"{name}: wider than a 1024 px screen: {wide}"
        self.seen.append(name)


def printed_with_marking(page: Any, pdf: Path, marking: str) -> None:
    """The page printed to A4 has the marking at the top and the foot of every printed page."""
    from tests.report.test_browser import marking_heights

    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    page.emulate_media(media="screen")
    pages = marking_heights(pdf, marking)
    assert pages, f"{pdf}: no page"
    for k, (height, ys) in enumerate(pages, start=1):
        assert any(y > 0.9 * height for y in ys), f"{pdf.name} page {k}: no marking at the top ({ys})"
        assert any(y < 0.1 * height for y in ys), f"{pdf.name} page {k}: no marking at the foot ({ys})"


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def checker(tmp_path: Path) -> Checker:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots and printed pages: {shots}")
    return Checker(shots, axe_source(), importlib.util.find_spec("pypdf") is not None)


def new_page(browser: Any, checker: Checker, width: int = 1280) -> Any:
    """A page in a fresh context (its own cookies), watched for console errors, downloads allowed."""
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    # generous: the CI machine runs this beside the rest of the suite on two cores; a page that
    # works answers in well under a second, so the bound only decides how long a failure takes
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    checker.watch(page)
    return page


def sign_in(page: Any, base: str, name: str, checker: Checker | None = None) -> None:
    page.goto(base + "/login")
    if checker is not None:
        checker.check(page, "sign-in")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/scenarios")
