"""Browser fixtures: headless Debian Chromium driven by Playwright, and a chat backend in its own process.

`playwright install` cannot download browsers here, so the system Chromium (`apt-get install -y chromium`) is used
through `executable_path`. Screenshots go to test-artifacts/browser/ (gitignored, kept by CI as artifacts).
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("THUTUC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
CLERK_NAME = "lan"
CLERK_PASSWORD = "mat-khau-trinh-duyet-42"


@pytest.fixture(scope="module")
def chromium():
    """One browser per test module. Playwright's sync API runs an event loop in the main thread while it is open;
    a session-wide browser would break every asyncio test that runs after the browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh phone-sized browser context (empty localStorage) per test; screenshot kept on the way out."""
    context = chromium.new_context(viewport={"width": 390, "height": 780}, locale="vi-VN", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []  # every alert/confirm is recorded: an injected script would show up here
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    except Exception:  # noqa: BLE001 - a screenshot must not hide the test's own result
        pass
    context.close()


def log_in(page, name: str = CLERK_NAME, password: str = CLERK_PASSWORD,
           then: Optional[str] = "#app-view:not([hidden])") -> None:
    """Fill the staff login form open in `page` (clerk page, dashboard, review page) and, unless `then` is None,
    wait for that selector (the clerk page's desk by default)."""
    page.wait_for_selector("#login-view:not([hidden])")
    page.fill("#name", name)
    page.fill("#password", password)
    page.press("#password", "Enter")
    if then is not None:
        page.wait_for_selector(then)


@contextmanager
def desk_size_page(chromium, height: int = 900, timeout_ms: int = 15_000):
    """A page at a clerk's desk size (1280 wide), Vietnamese locale, closed afterwards."""
    context = chromium.new_context(viewport={"width": 1280, "height": height}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def desk_page(chromium):
    """A page at a clerk's desk size (1280×900)."""
    with desk_size_page(chromium) as page:
        yield page


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def knowledge_db(tmp_path_factory) -> str:
    """The project's curated knowledge data loaded into a throw-away SQLite database."""
    from base.db import make_engine
    from knowledge.loader import load_curated

    url = f"sqlite:///{tmp_path_factory.mktemp('browser-kb') / 'kb.db'}"
    engine = make_engine(url)
    load_curated(engine, PROJECT_ROOT / "knowledge" / "data")
    from handoff.accounts import AccountStore

    AccountStore(engine).add_user(CLERK_NAME, "clerk", CLERK_PASSWORD)
    engine.dispose()
    return url


@dataclass
class Backend:
    process: subprocess.Popen
    port: int
    output: List[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def chat_backend(knowledge_db) -> Iterator[Backend]:
    backend = start_backend(knowledge_db)
    try:
        yield backend
    finally:
        backend.stop()


def start_backend(knowledge_db: str, *extra_args: str, module: str = "tests.fakes.chat_backend") -> Backend:
    """A fake backend (tests/fakes/chat_backend.py, or `module`) in its own process, once it prints READY and its
    port (stop it with `.stop()`)."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--db", knowledge_db, *extra_args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: List[str] = []
    port: Optional[int] = None
    ready = threading.Event()

    def read() -> None:
        nonlocal port
        for line in process.stdout:  # type: ignore[union-attr]
            output.append(line)
            if line.startswith("READY ") and port is None:
                port = int(line.split()[1])
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(120) or port is None:
        process.kill()
        pytest.fail(f"{module} did not start:\n" + "".join(output[-40:]))
    return Backend(process, port, output)

