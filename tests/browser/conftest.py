"""A live server on a free port and Debian's Chromium driven by Playwright.

The browser is /usr/bin/chromium (``make test`` installs it with apt-get
where it can); no browser is ever downloaded. Every request the page makes
is recorded, so tests can prove nothing left 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import STRICT, LiveServer
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("MEMORIALS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium where apt-get can run"
    if STRICT:
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Browser:
    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_page(browser, **context_options) -> Browser:  # type: ignore[no-untyped-def]
    context = browser.new_context(**context_options)
    page = context.new_page()
    record = Browser(page=page)
    page.on("request", lambda r: record.requests.append(r.url))
    page.on("pageerror", lambda e: record.errors.append(str(e)))
    page.on("console", lambda m: record.errors.append(m.text) if m.type == "error" else None)
    return record


def sign_in(record: Browser, server: LiveServer, username: str) -> None:
    page = record.page
    page.goto(f"{server.url}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{server.url}/")  # type: ignore[attr-defined]
