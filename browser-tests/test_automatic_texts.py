"""Transactional campaigns (SC2) in a real browser: a token button writes into the text where the
cursor is, the saved text shows in the preview, and a customer's estimate and recurring service
are recorded from the customer page."""
from selenium.webdriver.common.by import By

from api import API
from test_inbox_live import sign_in_as, wait_until


def section_text(driver, section_id):
    """A section's text read in one go: the page is replaced when a form posts."""
    return driver.execute_script(f"const s = document.getElementById('{section_id}'); return s ? s.innerText : '';")


def test_edit_an_automatic_text_with_tokens(base_url, browser):
    sign_in_as(browser, base_url)
    browser.get(base_url + "/campaigns/automatic")
    card = browser.find_element(By.ID, "missed_call")
    assert card.find_element(By.CSS_SELECTOR, "[data-state]").text in ("On", "Off")
    field = card.find_element(By.CSS_SELECTOR, "textarea[name=template]")
    field.clear()
    field.send_keys("Sorry we missed you! Text us here. ")
    # The cursor sits after "Sorry" when the token is clicked: it goes in there, not at the end.
    browser.execute_script("arguments[0].setSelectionRange(5, 5)", field)
    card.find_element(By.CSS_SELECTOR, '[data-token="{customer_first_name}"]').click()
    assert field.get_attribute("value") == "Sorry{customer_first_name} we missed you! Text us here. "
    browser.execute_script("arguments[0].setSelectionRange(arguments[0].value.length, arguments[0].value.length)", field)
    card.find_element(By.CSS_SELECTOR, '[data-token="{company_name}"]').click()
    switch = card.find_element(By.CSS_SELECTOR, "input[name=enabled]")
    if not switch.is_selected():
        switch.click()
    card.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(browser, lambda d: "is on and saved" in d.page_source, "the save is confirmed")
    preview = browser.find_element(By.CSS_SELECTOR, "#missed_call [data-preview]").text
    assert preview == "SorryRobert we missed you! Text us here. Northside Plumbing & Air"

    # A token the kind cannot fill is refused with its name, and the typed text stays.
    card = browser.find_element(By.ID, "estimate_follow_up")
    field = card.find_element(By.CSS_SELECTOR, "textarea[name=template]")
    field.clear()
    field.send_keys("Hi {technician_name}")
    card.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = browser.find_element(By.CSS_SELECTOR, "#estimate_follow_up [data-error]").text
    assert "Unknown token {technician_name}" in error
    assert browser.find_element(By.CSS_SELECTOR, "#estimate_follow_up textarea").get_attribute("value") == "Hi {technician_name}"


def test_record_an_estimate_and_a_recurring_service(base_url, browser):
    api = API(base_url)
    customer = next(c for c in api.call("GET", "/customers?limit=50")["items"] if c["name"].startswith("Robert"))
    sign_in_as(browser, base_url)
    browser.get(f"{base_url}/customers/{customer['id']}")
    estimates = browser.find_element(By.ID, "estimates")
    estimates.find_element(By.CSS_SELECTOR, "[data-add-estimate] > summary").click()
    browser.find_element(By.ID, "es-summary").send_keys("Garbage disposal replacement")
    browser.find_element(By.ID, "es-amount").send_keys("425")
    estimates.find_element(By.CSS_SELECTOR, "form[action$='/estimates'] button").click()
    wait_until(browser, lambda d: "Garbage disposal replacement" in section_text(d, "estimates"),
               "the estimate is listed")
    assert "$425.00" in section_text(browser, "estimates")

    services = browser.find_element(By.ID, "services")
    services.find_element(By.CSS_SELECTOR, "[data-add-service] > summary").click()
    browser.find_element(By.ID, "sv-name").send_keys("Sump pump check")
    browser.execute_script("document.getElementById('sv-due').value = '2027-04-01'")
    services.find_element(By.CSS_SELECTOR, "form[action$='/services'] button").click()
    wait_until(browser, lambda d: "Sump pump check" in section_text(d, "services"), "the service is listed")
    assert "Thu, Apr 1, 2027" in section_text(browser, "services")
