"""Pages in a real browser: Debian's chromium driven by Playwright, against pytest-django's live server.

Every page a test opens is watched: a request to any host but the server, a console error (a Content
Security Policy refusal is one) or an uncaught script error fails the test. The browser must be
installed (`make browser`, which .ci/run runs): without it these tests fail, they do not skip.
"""

import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from duban.core.cast import PASSWORD

CHROMIUM = os.environ.get("DUBAN_CHROMIUM", "/usr/bin/chromium")
# No background traffic of the browser's own (this machine reaches no network beyond itself); as root,
# chromium's sandbox cannot start.
CHROMIUM_ARGS = ["--no-sandbox"] * (os.geteuid() == 0) + ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--lang=zh-CN"]
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SCREENS = os.environ.get("DUBAN_SCREENS")  # where `make screens` wants the pictures


@contextmanager
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run the page tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test still talks to the database
    # directly (services for setup, asserts after), which Django otherwise refuses next to a loop.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class Visitor:
    """One person in one browser context (their own cookies), at one screen size."""

    def __init__(self, browser, base_url: str, size: dict, label: str):
        self.base = base_url.rstrip("/")
        self.host = urlsplit(self.base).netloc
        self.label = label
        self.context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **size)
        self.context.set_default_timeout(15000)
        self.page = self.context.new_page()
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.unlabelled: list[str] = []
        self.page.on("request", self._request)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _request(self, request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if url.netloc != self.host:
            self.foreign.append(request.url)

    def go(self, path: str):
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")
        self.check_labels()
        return response

    def check_labels(self) -> None:
        """Every visible form control of the page has a label (or an aria-label) a screen reader reads."""
        missing = self.page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden' && !el.hidden && !el.closest('[hidden]')
                    && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id)""")
        self.unlabelled += [f"{urlsplit(self.page.url).path}: {name}" for name in missing]

    def login(self, user) -> None:
        self.go("/login/")
        self.page.get_by_label("登录名").fill(user.username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state("load")
        assert "/login/" not in self.page.url, f"{user.username} could not sign in"

    def logout(self) -> None:
        self.page.get_by_role("button", name="退出").click()
        self.page.wait_for_load_state("load")

    def shot(self, name: str) -> None:
        """A full-page picture for `make screens` (nothing is written in an ordinary test run)."""
        if not SCREENS:
            return
        folder = Path(SCREENS)
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / f"{name}-{self.label}.png"), full_page=True)

    def check_clean(self) -> None:
        assert not self.foreign, f"pages asked other hosts: {self.foreign}"
        assert not self.errors, f"errors in the browser console: {self.errors}"
        assert not self.unlabelled, f"form controls without a label: {self.unlabelled}"

    def close(self) -> None:
        self.context.close()
