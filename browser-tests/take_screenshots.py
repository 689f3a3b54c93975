"""Takes the screenshots in docs/screenshots/ from a running demo server (scripts/screenshots).

Run it after UI changes and look at every picture before committing them."""
import base64
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import pages
from api import API, book_and_dispatch
from conftest import make_driver
from test_inbox_live import DISPATCHER, list_items, sign_in_as, text_in

ARGUMENTS = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
OUT = ARGUMENTS[0] if ARGUMENTS else "docs/screenshots"
# `--pages-only`: just the every-page-at-every-width pictures (quicker while working on layout).
PAGES_ONLY = "--pages-only" in sys.argv[1:]


def shoot(driver, name, full_page=True):
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(driver.get_window_size()["width"], min(max(height, 700), 2400))
    time.sleep(0.4)
    driver.save_screenshot(os.path.join(OUT, name + ".png"))
    print("saved", name)


def campaign_shots(dana, base):
    """Campaigns: the list with the opt-in tools, the composer counting as you type, a campaign's
    progress, and the texting registration settings."""
    dana.set_window_size(1360, 860)
    dana.get(base + "/campaigns/new")
    dana.find_element(By.ID, "name").send_keys("Fall furnace tune-up")
    dana.find_element(By.ID, "body").send_keys("Northside: furnace tune-ups are $20 off through Oct 31. Book at northside.example/book")
    dana.find_element(By.ID, "tags").send_keys("maintenance plan")
    time.sleep(1.5)
    shoot(dana, "campaign-new")
    dana.get(base + "/campaigns")
    time.sleep(1)
    first = dana.find_element(By.CSS_SELECTOR, "#campaigns a.row-link").get_attribute("href")
    shoot(dana, "campaigns")
    dana.set_window_size(1360, 860)
    dana.get(first)
    time.sleep(2.5)
    shoot(dana, "campaign-progress")
    dana.set_window_size(1360, 860)
    dana.get(base + "/settings/registration")
    time.sleep(1)
    shoot(dana, "texting-registration")
    dana.set_window_size(1360, 860)


def automatic_text_shots(dana, base):
    """Automatic texts (transactional campaigns) and a customer page with estimates and services."""
    dana.set_window_size(1360, 860)
    dana.get(base + "/campaigns/automatic")
    time.sleep(1)
    shoot(dana, "automatic-texts")
    dana.set_window_size(1360, 860)
    robert = next(c for c in API(base).call("GET", "/customers?limit=50")["items"] if c["name"].startswith("Robert"))
    dana.get(f"{base}/customers/{robert['id']}")
    time.sleep(1)
    shoot(dana, "customer-estimates")
    dana.set_window_size(1360, 860)


def servicechannel_shots(dana, base):
    """ServiceChannel: the settings page, a work order waiting as a booking, and a job doing one
    with its work order panel, notes and invoice."""
    dana.set_window_size(1360, 860)
    dana.get(base + "/settings/servicechannel")
    time.sleep(1)
    shoot(dana, "servicechannel-settings")
    dana.set_window_size(1360, 860)
    dana.get(base + "/bookings")
    time.sleep(1)
    shoot(dana, "servicechannel-booking")
    dana.set_window_size(1360, 860)
    jobs = API(base).call("GET", "/jobs?limit=50")["items"]
    job = next(j for j in jobs if j["summary"].startswith("Work order"))
    dana.get(f"{base}/jobs/{job['id']}")
    time.sleep(1)
    shoot(dana, "servicechannel-job")
    dana.set_window_size(1360, 860)


def shoot_whole_page(driver, name, most=6000):
    """The whole page at the window's width (at most `most` CSS pixels tall) without resizing the
    window, which a phone emulation does not allow; the visible part only for a page scrolled to
    an anchor."""
    time.sleep(0.3)
    path = os.path.join(OUT, name + ".png")
    if driver.execute_script("return window.scrollY") > 0:
        driver.save_screenshot(path)
    else:
        width, height = driver.execute_script(
            "const r = document.documentElement; return [r.clientWidth, r.scrollHeight]")
        picture = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(height, most), "scale": 1}})
        with open(path, "wb") as file:
            file.write(base64.b64decode(picture["data"]))
    print("saved", name)


def every_page_shots(base):
    """Every office and technician page (pages.py) at each width: docs/screenshots/<page>-<width>.png.
    One browser per width, signed in once as the admin and once as the technician."""
    records = pages.demo_records(base)
    for width in pages.WIDTHS:
        driver = make_driver(width, pages.HEIGHTS[width])
        try:
            visitor = pages.Visitor(driver, base)
            for name, path, who in pages.PAGES:
                visitor.visit(path, who, records)
                shoot_whole_page(driver, f"{name}-{width}")
        finally:
            driver.quit()


def main():
    base = os.environ["FIELDLINE_BASE_URL"].rstrip("/")
    os.makedirs(OUT, exist_ok=True)
    if PAGES_ONLY:
        every_page_shots(base)
        return
    dana, marcus = make_driver(1360, 860), make_driver(1360, 860)
    try:
        sign_in_as(dana, base)
        sign_in_as(marcus, base, DISPATCHER)
        text_in(dana, "+15125558810", "Hi, the kitchen sink is backing up again. Can someone come today?")

        dana.get(base + "/inbox")
        time.sleep(1)
        shoot(dana, "inbox", full_page=False)

        robert = next(item["id"] for item in list_items(dana) if "Robert" in item["text"])
        marcus.get(f"{base}/inbox?c={robert}")
        dana.get(f"{base}/inbox?c={robert}")
        time.sleep(1)
        dana.find_element(By.ID, "composer-body").send_keys("Luis is finishing up a job nearby and")
        time.sleep(3.2)
        shoot(marcus, "inbox-conversation-typing", full_page=False)
        dana.find_element(By.ID, "composer-body").send_keys(Keys.CONTROL, "a", Keys.DELETE)

        unknown = next(item["id"] for item in list_items(dana) if "Unknown" in item["text"])
        dana.get(f"{base}/inbox?c={unknown}")
        time.sleep(1)
        shoot(dana, "inbox-unknown-number", full_page=False)

        dana.set_window_size(820, 1100)
        dana.get(f"{base}/inbox?c={robert}")
        time.sleep(1)
        shoot(dana, "inbox-tablet", full_page=False)

        dana.set_window_size(1360, 860)
        for path, name in [("/dispatch-board", "dispatch-board"), ("/simulator", "phone-simulator"), ("/today", "today")]:
            dana.get(base + path)
            time.sleep(1)
            shoot(dana, name)
            dana.set_window_size(1360, 860)
        # Linda's next job: her conversation is tied to it (CH19).
        dana.get(base + "/inbox")
        linda = next(item["id"] for item in list_items(dana) if "Linda" in item["text"])
        dana.get(f"{base}/inbox?c={linda}")
        job = dana.find_element(By.CSS_SELECTOR, ".inbox-panel-pane a[href^='/jobs/']").get_attribute("href")
        dana.get(job)
        time.sleep(1)
        shoot(dana, "job-with-texts")

        # On-the-way notices: the settings with their live preview.
        dana.set_window_size(1360, 860)
        dana.get(base + "/settings/notifications")
        time.sleep(1.5)
        shoot(dana, "notice-settings")

        # The customer's tracking pages on a phone: a confirmed address with the live map, and
        # one not confirmed yet (the technician and the address only).
        api = API(base)
        _, _, verified = book_and_dispatch(api, "Luis Romero", verified=True, name="Tess Verified")
        API(base, "luis@northside.example").call(
            "POST", "/my/positions", {"latitude": 30.2890, "longitude": -97.7555, "accuracyMeters": 10})
        _, _, unverified = book_and_dispatch(api, "Priya Nair", verified=False, name="Uma Unverified")
        customer = make_driver(375, 812)
        try:
            customer.get(verified)
            time.sleep(2)
            shoot(customer, "tracking-verified", full_page=False)
            customer.get(unverified)
            time.sleep(1)
            shoot(customer, "tracking-unverified", full_page=False)
            customer.get(base + "/t/AAAAAAAAAAAAAAAAAAAAAA")
            time.sleep(0.5)
            shoot(customer, "tracking-ended", full_page=False)
        finally:
            customer.quit()

        # The technician's phone: the job list with its unread mark, then the job and its chat.
        luis = make_driver(375, 812)
        try:
            sign_in_as(luis, base, "luis@northside.example")
            time.sleep(1)
            shoot(luis, "technician-my-jobs", full_page=False)
            nora = luis.execute_script(
                "return [...document.querySelectorAll('.field-card')].find((a) => a.innerText.includes('Nora'))"
                "?.getAttribute('href')")
            luis.get(base + nora)
            time.sleep(1)
            shoot(luis, "technician-job", full_page=False)
            luis.execute_script("document.getElementById('chat').scrollIntoView()")
            luis.find_element(By.ID, "field-reply").send_keys("On my way — about 20 minutes out.")
            time.sleep(0.5)
            shoot(luis, "technician-chat", full_page=False)
        finally:
            luis.quit()
        campaign_shots(dana, base)
        automatic_text_shots(dana, base)
        servicechannel_shots(dana, base)
    finally:
        dana.quit()
        marcus.quit()
    every_page_shots(base)


if __name__ == "__main__":
    main()
