"""End-to-end fixtures: the real app served by ``advisor-funnel serve`` and Debian's Chromium.

One server on a store built from the bundled sample and one on an empty store live for the whole
session; every server runs in its own process group and the group is killed by a finalizer, so no
Streamlit process outlives the tests, even when a test or the start-up fails. Playwright cannot
download its own browser here, so pytest-playwright's ``browser`` launches Debian's
``/usr/bin/chromium``: one browser and one context per session, a fresh tab (``page``) per test.
Without that binary every test marked ``browser`` is skipped and says why.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own outgoing connections (component
# updates, sync) are refused in a sandboxed CI and slow every launch.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT_S = 120
# Assertions retry until this timeout: a rerun of a heavy page on 2 busy cores takes seconds.
expect.set_options(timeout=30_000)
REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 1440, "height": 900},
        "locale": "ja-JP",
        "timezone_id": "Asia/Tokyo",
        "accept_downloads": True,
    }


@pytest.fixture(scope="session")
def shared_context(browser, browser_context_args):
    """One browser context for the session: Streamlit's scripts are fetched and cached once, not
    once per test (each page load still opens a new Streamlit session)."""
    context = browser.new_context(**browser_context_args)
    yield context
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_call_failed = report.failed
    return report


@pytest.fixture
def page(shared_context, request, pytestconfig):
    """A fresh tab in the shared context (replaces pytest-playwright's context-per-test page).

    A failing test leaves a screenshot of its tab in the output folder (``--output``,
    test-results/ by default), the first thing to look at when CI fails.
    """
    tab = shared_context.new_page()
    yield tab
    if getattr(request.node, "e2e_call_failed", False):
        out = Path(pytestconfig.getoption("--output"))
        out.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            tab.screenshot(path=str(out / f"{name}.png"))
        except Exception:  # a crashed tab has nothing to show; the failure itself is reported
            pass
    tab.close()


@dataclass
class Server:
    url: str
    db: Path
    log: Path
    process: subprocess.Popen

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli() -> list[str]:
    """``advisor-funnel`` from the environment running the tests, else the module itself."""
    script = Path(sys.executable).with_name("advisor-funnel")
    if script.exists():
        return [str(script)]
    found = shutil.which("advisor-funnel")
    return [found] if found else [sys.executable, "-m", "dashboard.cli"]


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    # A test server never watches source files (each watcher costs CPU on a shared 2-core box)
    # and never phones home.
    env["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    env["STREAMLIT_SERVER_RUN_ON_SAVE"] = "false"
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env.pop("ADVISOR_FUNNEL_DB", None)
    return env


def stop_server(server: Server) -> None:
    """Terminate the server's whole process group (``serve`` runs streamlit as a child).

    The grace period is short on purpose: a graceful shutdown waits for the browser's keep-alive
    connections, and a test store has nothing worth flushing.
    """
    pgid = server.process.pid
    for sig, grace in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
        if not _group_alive(server.process):
            break
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(server.process):
            time.sleep(0.1)
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _group_alive(leader: subprocess.Popen) -> bool:
    """Whether any process of the leader's group still runs (zombies waiting to be reaped by a
    container's init do not count; the leader itself is reaped here)."""
    leader.poll()
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(proc.info["pid"]) == leader.pid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, PermissionError):
            continue
    return False


def start_server(db: Path, log_dir: Path, request: pytest.FixtureRequest, name: str, attempts: int = 3) -> Server:
    """Start ``advisor-funnel serve`` on ``db`` and wait for Streamlit's health endpoint.

    The finalizer is registered before waiting, so a server that never becomes healthy is
    killed too; an ``atexit`` hook covers a session that dies before finalizers run. The free
    port is only free when it is picked, so a server that lost it to another process is started
    again on another port.
    """
    for attempt in range(1, attempts + 1):
        port = _free_port()
        log = log_dir / f"{name}.log"
        command = [*_cli(), "serve", "--db", str(db), "--port", str(port), "--address", "127.0.0.1"]
        with log.open("w", encoding="utf-8") as out:
            process = subprocess.Popen(
                command, cwd=REPO, env=_server_env(), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        server = Server(url=f"http://127.0.0.1:{port}", db=db, log=log, process=process)
        request.addfinalizer(lambda server=server: stop_server(server))
        atexit.register(stop_server, server)
        if _wait_healthy(server):
            return server
        stop_server(server)
        tail = server.log_tail().lower()
        lost_port = "is not available" in tail or "already in use" in tail
        if not lost_port or attempt == attempts:
            pytest.fail(f"`{' '.join(command)}` did not become healthy (exit code {process.returncode}):\n{server.log_tail()}")
    raise AssertionError("unreachable")


def _wait_healthy(server: Server) -> bool:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    return False


def _cli_run(*args: str) -> None:
    result = subprocess.run(
        [*_cli(), *args], cwd=REPO, env=_server_env(), capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"advisor-funnel {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def build_sample_store(path: Path) -> Path:
    """``advisor-funnel demo --db PATH``: the store a newcomer gets from the bundled sample."""
    _cli_run("demo", "--db", str(path))
    return path


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def sample_db(e2e_dir) -> Path:
    """A store built from the bundled sample (never served; copy it to get a writable store)."""
    return build_sample_store(e2e_dir / "sample.duckdb")


@pytest.fixture(scope="session")
def sample_server(sample_db, e2e_dir, request) -> Server:
    """The app on a copy of the sample store, shared by every read-only scenario."""
    db = e2e_dir / "served_sample.duckdb"
    shutil.copyfile(sample_db, db)
    return start_server(db, e2e_dir, request, "sample")


@pytest.fixture(scope="session")
def empty_server(e2e_dir, request) -> Server:
    """The app on a store that does not exist yet: the first-run experience."""
    return start_server(e2e_dir / "empty.duckdb", e2e_dir, request, "empty")


@pytest.fixture
def writable_server(sample_db, tmp_path, request) -> Server:
    """The app on its own copy of the sample store, for a scenario that adds data."""
    db = tmp_path / "writable.duckdb"
    shutil.copyfile(sample_db, db)
    return start_server(db, tmp_path, request, "writable")
