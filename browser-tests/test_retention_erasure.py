"""OP3 as an admin does it: choose how long texts are kept, and erase a customer who asked to be
forgotten — a wrong name is refused and nothing happens, the right one erases them, their jobs stay."""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from test_office_flows import flash_text, sign_in


def test_keeping_texts_for_two_years_is_saved_and_shown(browser, base_url):
    sign_in(browser, base_url)
    browser.get(base_url + "/settings")
    Select(browser.find_element(By.ID, "messageRetentionMonths")).select_by_visible_text("2 years")
    browser.find_element(By.XPATH, "//button[normalize-space()='Save settings']").click()
    assert "Settings saved." in flash_text(browser)
    assert Select(browser.find_element(By.ID, "messageRetentionMonths")).first_selected_option.text == "2 years"
    # Back to for ever, as the rest of the suite expects. The saved page replaces this one: wait for
    # it before reading the choice again (the old select goes stale mid-load).
    before = browser.find_element(By.ID, "messageRetentionMonths")
    Select(before).select_by_visible_text("For ever")
    browser.find_element(By.XPATH, "//button[normalize-space()='Save settings']").click()
    WebDriverWait(browser, 10).until(EC.staleness_of(before))
    assert "Settings saved." in flash_text(browser)
    assert Select(browser.find_element(By.ID, "messageRetentionMonths")).first_selected_option.text == "For ever"
    browser.get(base_url + "/settings/audit-log?action=retention_changed")
    details = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-audit-entry=retention_changed]")]
    assert any("24 months → for ever" in text for text in details), details


def test_erasing_a_customer_takes_the_typed_name_and_keeps_the_job(browser, base_url):
    sign_in(browser, base_url)
    name = "Zoë Ñandú-Müller " + uuid.uuid4().hex[:5]
    browser.get(base_url + "/customers/new")
    browser.find_element(By.NAME, "name").send_keys(name)
    browser.find_element(By.NAME, "phone").send_keys("512.555.3" + f"{uuid.uuid4().int % 1000:03d}")
    browser.find_element(By.NAME, "street").send_keys("2200 South Lamar Blvd, Unit 4")
    browser.find_element(By.NAME, "city").send_keys("Austin")
    browser.find_element(By.NAME, "state").send_keys("TX")
    browser.find_element(By.NAME, "postalCode").send_keys("78704")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    assert "was added" in flash_text(browser)
    customer_url = browser.current_url
    browser.find_element(By.LINK_TEXT, "Book a job").click()
    browser.find_element(By.NAME, "summary").send_keys("Fix the dripping tub spout")
    browser.find_element(By.XPATH, "//button[normalize-space()='Book job']").click()
    assert "is booked" in flash_text(browser)

    # A slip of the keyboard: refused, saying why, and nothing is erased.
    browser.get(customer_url)
    browser.find_element(By.ID, "confirmName").send_keys(name[:-1])
    browser.find_element(By.XPATH, "//button[normalize-space()='Erase for good']").click()
    assert "exactly" in browser.find_element(By.CSS_SELECTOR, ".flash-error").text
    browser.get(customer_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == name

    browser.find_element(By.ID, "confirmName").send_keys(name)
    browser.find_element(By.XPATH, "//button[normalize-space()='Erase for good']").click()
    assert "The customer was erased" in flash_text(browser)
    assert browser.current_url.endswith("/customers")
    search = browser.find_element(By.NAME, "q")
    search.send_keys(name)
    search.submit()
    assert not browser.find_elements(By.CSS_SELECTOR, "table#customers tbody tr")

    browser.get(customer_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Erased customer"
    assert "was erased on" in browser.find_element(By.CSS_SELECTOR, "[data-erased]").text
    assert "Fix the dripping tub spout" in browser.find_element(By.TAG_NAME, "main").text
    assert not browser.find_elements(By.ID, "confirmName")
    assert name not in browser.page_source
