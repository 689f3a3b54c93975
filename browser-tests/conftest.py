"""Fixtures for the browser suite: a real headless Chromium against a running Fieldline server.

The server is started by scripts/browser-tests (FIELDLINE_BASE_URL points at it)."""
import os

import pytest
from selenium import webdriver


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("FIELDLINE_BASE_URL")
    if not url:
        pytest.fail("FIELDLINE_BASE_URL is not set; run scripts/browser-tests")
    return url.rstrip("/")


def make_driver(width, height):
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)
    if width < 500:
        # Desktop Chromium will not make a window narrower than about 500 px; a phone is emulated.
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}})
    options.binary_location = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
    service = webdriver.ChromeService(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(3)
    return driver


@pytest.fixture
def browser():
    driver = make_driver(1280, 900)
    yield driver
    driver.quit()


@pytest.fixture
def phone():
    driver = make_driver(375, 812)
    yield driver
    driver.quit()


@pytest.fixture
def new_browser():
    """Opens more browsers, each with its own profile (cookies, storage), all closed at the end."""
    drivers = []

    def open_browser(width=1280, height=900):
        driver = make_driver(width, height)
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        driver.quit()
