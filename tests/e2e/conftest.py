"""Browser fixtures for the end-to-end tests: Debian's Chromium driven by Playwright's sync API.

The browser is the system one (/usr/bin/chromium); Playwright's own browser downloads are never used.
Without it the tests skip locally, but fail when the CI variable is set, so CI never passes silently.
On a failing test a full-page screenshot is saved under test-artifacts/ at the repository root.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the test item, so the page fixture knows whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package", autouse=True)
def _orm_allowed_next_to_playwright():
    """Playwright's sync API keeps an asyncio event loop running in the test thread from start() to
    stop(), so Django refuses ORM calls there (SynchronousOnlyOperation). Nothing async shares a
    connection with that thread, the case Django documents DJANGO_ALLOW_ASYNC_UNSAFE for.

    It is set only while this package runs, not at import time: a module-level os.environ change
    would last for the whole pytest session and reach subprocesses, and `manage.py check --deploy`
    (tests/test_deploy_check.py) fails with async.E001 when it sees the variable.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def playwright(_orm_allowed_next_to_playwright) -> Playwright:
    # Package scope: the event loop is stopped once the e2e tests are done, before any other tests.
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed; the end-to-end tests need Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Browser:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class BrowserProblems:
    """Console errors, uncaught exceptions and failed requests on every page a test visits.

    Two kinds of net::ERR_ABORTED are left out, as they say nothing about the app:
    - a link that answers with a file becomes a download, and Chromium aborts the navigation the
      download replaced;
    - a request of a page the test has since left (an htmx `load` fetch still in flight when the
      test goes to the next URL). Chromium cancels those when the next page commits, and whether
      Playwright hears of the abort or of the navigation first varies, so any main-frame
      navigation after the request started lets it go. An abort on the page the test ends on
      still counts, and htmx reports its own cancelled requests as console errors wherever
      they happen (htmx:sendAbort).
    """

    def __init__(self, page: Page):
        self.page = page
        self.problems: list[str] = []
        self.navigations = 0
        self.started_at: dict[object, int] = {}
        self.aborted: list[tuple[object, str]] = []
        self.downloads: set[str] = set()
        self.in_flight: set[object] = set()
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error on {page.url}: {error}"))
        page.on("request", self.on_request)
        page.on("requestfinished", lambda request: self.in_flight.discard(request))
        page.on("requestfailed", self.on_request_failed)
        page.on("framenavigated", self.on_navigated)
        page.on("download", lambda download: self.downloads.add(download.url))

    def on_console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def on_navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigations += 1

    def on_request(self, request) -> None:
        self.in_flight.add(request)
        self.started_at[request] = self.navigations

    def on_request_failed(self, request) -> None:
        self.in_flight.discard(request)
        text = f"request failed on {self.page.url}: {request.method} {request.url} ({request.failure})"
        if "ERR_ABORTED" in (request.failure or ""):
            self.aborted.append((request, text))
        else:
            self.problems.append(text)

    def wait_for_requests(self, *, quiet_ms: int = 300, timeout_ms: int = 5_000) -> None:
        """Lets the page's last requests finish (htmx `load` fragments, which start only once the
        test's final swap has settled): the live server must not still be answering them when the
        test database is flushed, or the flush meets a locked table. Done once no request has
        been in flight for `quiet_ms`."""
        quiet = waited = 0
        while quiet < quiet_ms and waited < timeout_ms and not self.page.is_closed():
            self.page.wait_for_timeout(50)
            waited += 50
            quiet = 0 if self.in_flight else quiet + 50

    def report(self) -> list[str]:
        aborted = [
            text
            for request, text in self.aborted
            if request.url not in self.downloads and self.started_at.get(request, 0) == self.navigations
        ]
        return [*self.problems, *aborted]


@pytest.fixture
def page(request, browser: Browser) -> Page:
    """A fresh browser context (no cookies) and page per test; screenshot on failure; the test
    fails if any page it visited logged an error or lost a request."""
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = BrowserProblems(page)
    try:
        yield page
    finally:
        problems.wait_for_requests()
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS_DIR.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
            try:
                page.screenshot(path=str(ARTIFACTS_DIR / f"{name}.png"), full_page=True)
            except Exception as error:  # a broken page must not hide the test's own failure
                print(f"Could not save a screenshot: {error}")
        context.close()
    if reported := problems.report():
        pytest.fail("The browser reported problems:\n" + "\n".join(reported), pytrace=False)


def sign_in(page: Page, base: str, email: str = "owner@a.example") -> None:
    """Signs in through the login form; the start page is where staff land."""
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill("secret-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/")
