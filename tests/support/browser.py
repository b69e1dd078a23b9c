"""A real browser for the console's tests: Debian's ``chromium`` driven by Selenium
through ``chromium-driver`` (Playwright's own browser download does not work on these
machines). Headless, a fresh profile per browser, Chinese first.

::

    with chromium() as browser:
        browser.get(url + "/login")
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _first(paths: tuple[str, ...], name: str) -> str:
    found = next((p for p in paths if Path(p).exists()), None) or shutil.which(name)
    if found is None:
        raise RuntimeError(f"no {name}: `apt-get install chromium chromium-driver` (.ci/run does)")
    return found


@contextmanager
def chromium(lang: str = "zh-CN") -> Iterator[WebDriver]:
    """A headless Chromium for the ``with`` block."""
    options = Options()
    options.binary_location = _first(CHROMIUM, "chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,900", f"--lang={lang}", "--disable-gpu",
                     "--autoplay-policy=no-user-gesture-required"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(_first(DRIVER, "chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(browser: WebDriver, url: str, name: str, password: str) -> None:
    """Log in through the login page, as a person types."""
    browser.get(url + "/login")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 10).until(lambda b: not b.current_url.endswith("/login"))


def shows(browser: WebDriver, css: str, within_s: float) -> bool:
    """Whether an element matching ``css`` is on the page within ``within_s`` (the browser
    is asked as the page changes; nothing sleeps)."""
    try:
        WebDriverWait(browser, within_s, poll_frequency=0.05).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))  # fmt: skip
    except Exception:  # selenium's TimeoutException
        return False
    return True


def on_element(
    browser: WebDriver, css: str, act: Callable[[WebElement], None], tries: int = 3
) -> None:
    """Find ``css`` and ``act`` on it; found again if the page replaced it meanwhile (the
    live board re-renders when what it lists changes, as a person would see it do)."""
    for attempt in range(tries):
        try:
            act(browser.find_element(By.CSS_SELECTOR, css))
            return
        except StaleElementReferenceException:
            if attempt == tries - 1:
                raise


def screenshot(browser: WebDriver, name: str) -> None:
    """Save a screenshot under ``$XIAOAN_SCREENSHOTS`` when it is set (docs/console.md)."""
    folder = os.environ.get("XIAOAN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))
