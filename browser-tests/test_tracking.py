"""On-the-way notices (DN1-DN7) in a real browser: the settings page's live preview, and the
customer's tracking page on a phone for a verified and an unverified address, updating live as the
technician's phone reports positions."""
import os
import time

from selenium.webdriver.common.by import By

from api import API, book_and_dispatch
from test_inbox_live import sign_in_as, wait_until

SHOTS = os.environ.get("FIELDLINE_SCREENSHOT_DIR")


def shoot(driver, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def preview(driver, name):
    return driver.find_element(By.CSS_SELECTOR, f'[data-preview="{name}"]').text


def test_the_settings_page_previews_as_you_type_and_names_a_bad_token(base_url, browser):
    sign_in_as(browser, base_url)
    browser.get(base_url + "/settings/notifications")
    assert "Ready" in browser.find_element(By.CSS_SELECTOR, "[data-text-ready]").text
    wait_until(browser, lambda d: "is on the way" in preview(d, "text"), "the preview shows the text")
    assert "Filled in from Job #" in preview(browser, "basedOn")

    box = browser.find_element(By.ID, "textTemplate")
    box.clear()
    box.send_keys("{company_name}: {tech} is coming")
    wait_until(browser, lambda d: "{tech}" in preview(d, "problem"), "the unknown token is named")
    assert browser.find_element(By.CSS_SELECTOR, '[data-preview="problemBox"]').is_displayed()

    box.clear()
    box.send_keys("{company_name}: ")
    browser.find_element(By.CSS_SELECTOR, '[data-token="{technician_first_name}"]').click()
    box.send_keys(" is on the way. {tracking_link}")
    wait_until(browser, lambda d: not d.find_element(By.CSS_SELECTOR, '[data-preview="problemBox"]').is_displayed(),
               "the problem clears once the template is fixed")
    wait_until(browser, lambda d: preview(d, "text").startswith("Northside Plumbing & Air: "), "the preview follows")
    assert "/t/" in preview(browser, "text")
    assert "of 160" in preview(browser, "count")
    browser.find_element(By.XPATH, "//button[normalize-space()='Save notices']").click()
    wait_until(browser, lambda d: "On-the-way notices saved." in d.page_source, "saved")
    assert browser.find_element(By.ID, "textTemplate").get_attribute("value") == \
        "{company_name}: {technician_first_name} is on the way. {tracking_link}"


def marker(driver):
    return driver.execute_script(
        """const m = document.querySelector('[data-marker="technician"]');
           return m && m.dataset.latitude ? [Number(m.dataset.latitude), Number(m.dataset.longitude)] : null;""")


def test_a_verified_address_shows_a_live_map_that_follows_the_technician(base_url, phone):
    api = API(base_url)
    luis = API(base_url, "luis@northside.example")
    _, assignment, link = book_and_dispatch(api, "Luis Romero", verified=True, name="Tess Verified")
    luis.call("POST", "/my/positions", {"latitude": 30.2950, "longitude": -97.7600, "accuracyMeters": 10})

    phone.get(link)
    assert phone.find_element(By.TAG_NAME, "h1").text == "Luis is on the way"
    assert "★ 4.9" in " ".join(phone.find_element(By.CSS_SELECTOR, ".track-card").text.split())
    wait_until(phone, lambda d: d.find_element(By.ID, "track-map").get_attribute("data-ready") == "1", "map drawn")
    assert phone.find_element(By.ID, "track-map").get_attribute("data-tiles") == "vector"
    assert phone.find_element(By.CSS_SELECTOR, '[data-marker="destination"]').is_displayed()
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 375
    # The technician's marker follows the map's first position fetch: wait for it, not just the map.
    first = wait_until(phone, lambda d: marker(d), "the technician's marker")
    assert abs(first[0] - 30.2950) < 0.01, first
    eta = phone.find_element(By.CSS_SELECTOR, '[data-track="eta"]').text
    assert eta.startswith("about ") and eta.endswith("min"), eta

    # The technician's phone reports a position next door: the marker, distance and ETA follow
    # without a reload.
    luis.call("POST", "/my/positions", {"latitude": 30.2752, "longitude": -97.7409, "accuracyMeters": 5})
    wait_until(phone, lambda d: (marker(d) or [0])[0] < 30.28, "the marker moves to the new position")
    wait_until(phone, lambda d: d.find_element(By.CSS_SELECTOR, '[data-track="eta"]').text == "arriving now",
               "the ETA follows")
    assert "ft" in phone.find_element(By.CSS_SELECTOR, '[data-track="distance"]').text

    # Pan and zoom are the map's own.
    zoom = float(phone.find_element(By.ID, "track-map").get_attribute("data-zoom"))
    phone.find_element(By.CSS_SELECTOR, ".track-map-zoom-in").click()
    wait_until(phone, lambda d: float(d.find_element(By.ID, "track-map").get_attribute("data-zoom")) > zoom,
               "zooming in changes the zoom")
    phone.find_element(By.CSS_SELECTOR, ".track-map-recenter").click()
    time.sleep(0.8)
    shoot(phone, "tracking-verified")

    # Arrival ends the trip: the page says so.
    luis.call("POST", f"/assignments/{assignment}/arrive")
    # The page reloads itself: read the heading in one step, never through an element that the
    # reload may replace between finding and reading it.
    wait_until(phone, lambda d: "Luis has arrived" in d.execute_script(
        "return document.querySelector('h1')?.textContent || ''"), "the page turns to arrived by itself")
    assert "arrived at" in phone.find_element(By.CSS_SELECTOR, ".track-banner-arrived").text


def test_an_unverified_address_shows_the_technician_and_the_address_only(base_url, phone):
    api = API(base_url)
    _, _, link = book_and_dispatch(api, "Priya Nair", verified=False, name="Uma Unverified")
    phone.get(link)
    assert phone.find_element(By.TAG_NAME, "h1").text == "Priya is on the way"
    assert "1100 Congress Ave" in phone.find_element(By.CSS_SELECTOR, ".track-destination").text
    assert not phone.find_elements(By.ID, "track-map")
    assert not phone.find_elements(By.CSS_SELECTOR, '[data-track="eta"]')
    assert "★ 4.7" in " ".join(phone.find_element(By.CSS_SELECTOR, ".track-card").text.split())
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 375
    shoot(phone, "tracking-unverified")


def test_an_unknown_link_gets_a_friendly_page(base_url, phone):
    phone.get(base_url + "/t/AAAAAAAAAAAAAAAAAAAAAA")
    assert "This tracking link has ended" in phone.find_element(By.TAG_NAME, "h1").text
    assert "contact the company" in phone.page_source
    shoot(phone, "tracking-ended")
