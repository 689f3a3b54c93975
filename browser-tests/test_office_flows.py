"""The office's daily flows in a real browser: sign in, dispatch, find a customer, book a job."""
import re
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def sign_in(driver, base_url):
    driver.get(base_url + "/signin")
    hint = driver.find_element(By.CSS_SELECTOR, ".flash-info").text
    email = re.search(r"as (\S+@\S+) with", hint).group(1)
    password = re.search(r"password (\S+)\.", hint).group(1)
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # Home sends office users on to /today: wait for the second redirect, not just the first page.
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/today"), "sign-in did not land on /today")


def flash_text(driver):
    return driver.find_element(By.CSS_SELECTOR, ".flash").text


def test_wrong_password_is_refused_with_a_message(browser, base_url):
    browser.get(base_url + "/signin")
    browser.find_element(By.NAME, "email").send_keys("admin@northside.example")
    browser.find_element(By.NAME, "password").send_keys("not the password")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    assert "The email or password is incorrect." in browser.find_element(By.CSS_SELECTOR, ".flash-error").text
    assert browser.find_element(By.NAME, "email").get_attribute("aria-invalid") == "true"


def test_dispatching_from_today_moves_the_visit_along(browser, base_url):
    sign_in(browser, base_url)
    buttons = browser.find_elements(By.XPATH, "//button[normalize-space()='Dispatch']")
    assert buttons, "the demo day has scheduled visits to dispatch"
    item = buttons[0].find_element(By.XPATH, "./ancestor::li[contains(@class,'schedule-item')]")
    title = item.find_element(By.CSS_SELECTOR, ".schedule-title").text
    buttons[0].click()
    assert "Technician dispatched." in flash_text(browser)
    item = browser.find_element(By.XPATH, f"//a[@class='schedule-title' and normalize-space()={title!r}]/ancestor::li")
    assert "Dispatched" in item.text
    assert "In progress" in item.text


def test_search_finds_a_customer_by_phone_digits(browser, base_url):
    sign_in(browser, base_url)
    browser.get(base_url + "/customers")
    search = browser.find_element(By.NAME, "q")
    search.send_keys("5550142")
    search.submit()
    rows = browser.find_elements(By.CSS_SELECTOR, "table#customers tbody tr")
    assert len(rows) == 1 and "Robert Castellanos" in rows[0].text


def test_new_customer_then_book_a_job_and_see_the_audit_trail(browser, base_url):
    sign_in(browser, base_url)
    name = "Browser Test " + uuid.uuid4().hex[:6]
    browser.get(base_url + "/customers/new")
    browser.find_element(By.NAME, "name").send_keys(name)
    browser.find_element(By.NAME, "phone").send_keys("555-12")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    assert "is not a valid phone number" in browser.find_element(By.CSS_SELECTOR, ".flash-error").text
    assert browser.find_element(By.NAME, "name").get_attribute("value") == name

    phone = browser.find_element(By.NAME, "phone")
    phone.clear()
    # 555-2xxx: outside the demo data's 555-01xx numbers, so it never collides with a customer.
    phone.send_keys("(512) 555-2" + f"{uuid.uuid4().int % 1000:03d}")
    browser.find_element(By.NAME, "street").send_keys("100 Congress Ave")
    browser.find_element(By.NAME, "city").send_keys("Austin")
    browser.find_element(By.NAME, "state").send_keys("TX")
    browser.find_element(By.NAME, "postalCode").send_keys("78701")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    assert "was added" in flash_text(browser)
    assert browser.find_element(By.TAG_NAME, "h1").text == name

    browser.find_element(By.LINK_TEXT, "Book a job").click()
    browser.find_element(By.NAME, "summary").send_keys("Replace water heater")
    browser.find_element(By.CSS_SELECTOR, "input[name=technicianId]").click()
    browser.find_element(By.XPATH, "//button[normalize-space()='Book job']").click()
    assert "is booked" in flash_text(browser)
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert re.match(r"#\d+ · Replace water heater", heading), heading
    timeline = browser.find_element(By.CSS_SELECTOR, "ol.timeline").text
    assert "Booked job" in timeline and "Assigned" in timeline


def test_pages_fit_a_phone_screen(phone, base_url):
    sign_in(phone, base_url)
    for path in ("/today", "/inbox", "/customers", "/jobs", "/technicians", "/bookings", "/settings",
                 "/dispatch-board", "/simulator"):
        phone.get(base_url + path)
        overflow = phone.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
