"""Browser tests: the web UI in Chromium (Playwright, sync API) against `houqin run`.

One local cloud for all browser tests runs the real template.yaml with demo data on free ports (started as
`make run` starts it, in a subprocess, so this process's environment stays the unit tests'). Each
test gets a fresh browser context (no shared storage) and leaves a full-page screenshot in
test-artifacts/screenshots/<test name>.png, passed or failed. A JavaScript exception on the page
fails the test.

Without Chromium the tests skip, saying how to get it; with the environment variable CI set they
fail instead, so a CI run cannot go green without them. HOUQIN_CHROMIUM names another binary.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.running import ARTIFACTS, RunningHouqin, run_houqin

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ARTIFACTS / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# The browser tests' cloud starts at this campus time (`houqin run --at`), whatever the hour of the run: a
# Wednesday morning, last night's rolls done, the demo data made up to it. Each page's clock (Playwright's
# page.clock) starts at the cloud's time too, so what the pages call "today" is the cloud's.
AT = datetime.fromisoformat("2026-11-25T10:00:00+08:00")


try:
    import playwright.sync_api  # noqa: F401 - the test modules import it at the top
    MISSING_PLAYWRIGHT = False
except ImportError:
    MISSING_PLAYWRIGHT = True
if MISSING_PLAYWRIGHT and not os.environ.get("CI"):  # under CI they are collected, and fail on the import
    collect_ignore_glob = ["test_*.py"]
    warnings.warn("browser tests skipped: the Python package playwright is missing (pip install -e '.[dev]')",
                  pytest.PytestWarning, stacklevel=1)


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {reason}. CI is set, so this is a failure, not a skip "
                    "(.ci/run installs chromium: apt-get install -y chromium)", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}. To run them: apt-get install chromium "
                "(or set HOUQIN_CHROMIUM=/path/to/chromium) and pip install -e '.[dev]'")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if MISSING_PLAYWRIGHT:
        unavailable("the Python package playwright is not installed")
    explicit = os.environ.get("HOUQIN_CHROMIUM")
    candidates = [explicit] if explicit else [shutil.which("chromium"), "/usr/bin/chromium"]
    path = next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)
    if path is None:
        unavailable(f"no Chromium at {explicit}" if explicit else
                    "no Chromium found (looked for chromium on PATH and /usr/bin/chromium)")
    return path


@pytest.fixture(scope="package")
def houqin_web(chromium_path: str) -> Iterator[RunningHouqin]:
    """`houqin run` on the real template with demo data, free ports, once for the browser tests: stopped
    after the last of them (package scope), so its schedules and pollers do not slow the rest of the suite."""
    yield from run_houqin(AT, "browser-local-cloud.log")


@pytest.fixture(scope="package")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # expect() waits up to 15 s (Playwright's default is 5): a page reloading its list on a busy 2-core
    # machine can take longer than 5 s, and a passing check returns as soon as it holds anyway.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open_page(browser: Any, houqin_web: RunningHouqin, request: pytest.FixtureRequest, name: str,
               cloud_clock: bool = True, **context_options: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=houqin_web.web, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  **context_options)
    context.set_default_timeout(10_000)
    if cloud_clock:
        context.clock.install(time=houqin_web.now())  # runs forward from the cloud's time, as the cloud does
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # a failed screenshot must not hide the test's own result
            print(f"screenshot {name} failed: {exc}")
        context.close()
    if errors:
        pytest.fail("JavaScript errors on the page:\n" + "\n".join(errors), pytrace=False)


def _artifact_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")


@pytest.fixture
def page(browser: Any, houqin_web: RunningHouqin, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A desktop page (1280x800, zh-CN, Asia/Shanghai) on the web UI: `page.goto("/#/board")`."""
    yield from _open_page(browser, houqin_web, request, _artifact_name(request), viewport=DESKTOP)


@pytest.fixture
def own_clock_page(browser: Any, houqin_web: RunningHouqin, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A desktop page left on the machine's clock (no page.clock): the pages must follow the cloud's by themselves."""
    yield from _open_page(browser, houqin_web, request, _artifact_name(request), cloud_clock=False, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Any, houqin_web: RunningHouqin, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A phone page (375x740, touch). Its screenshot is <test name>-phone.png when the test also uses `page`."""
    name = _artifact_name(request) + ("-phone" if "page" in request.fixturenames else "")
    yield from _open_page(browser, houqin_web, request, name, viewport=PHONE, is_mobile=True, has_touch=True,
                          device_scale_factor=2)


@pytest.fixture
def sign_in(houqin_web: RunningHouqin) -> Callable[[Any, str], dict[str, Any]]:
    """`sign_in(page, "student")` or `sign_in(page, "E0097")`: picks that demo user on the sign-in page,
    waits for the home page and returns the user ({role, person_id, name, note})."""
    from playwright.sync_api import expect

    def sign_in(page: Any, who: str) -> dict[str, Any]:
        user = houqin_web.demo_user(who)
        page.goto("/#/signin")
        page.locator(f'.demo-user[data-person-id="{user["person_id"]}"]').click()
        page.wait_for_url(re.compile(r"#/(?!signin)"))
        expect(page.locator(".user-name")).to_have_text(user["name"])
        return user

    return sign_in
