"""The audit log (OP4) as an admin reads it: a wrong password and a sign-in show up with who and
from where, the filter narrows them, a bad date range says why, the CSV downloads with the same
filter, and a dispatcher is kept out."""
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from test_inbox_live import DISPATCHER, WAIT, sign_in_as


def entries(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#audit-entries [data-audit-entry]")


def test_admin_reads_filters_and_downloads_the_log(browser, base_url):
    # Someone mistypes the dispatcher's password first.
    browser.get(base_url + "/signin")
    browser.find_element(By.NAME, "email").send_keys(DISPATCHER)
    browser.find_element(By.NAME, "password").send_keys("definitely not it")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    assert "incorrect" in browser.find_element(By.CSS_SELECTOR, ".flash-error").text

    sign_in_as(browser, base_url)
    browser.get(base_url + "/settings")
    browser.find_element(By.LINK_TEXT, "Open the audit log").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.current_url.endswith("/settings/audit-log"))
    first = entries(browser)[0]
    assert first.get_attribute("data-audit-entry") == "signed_in", first.text
    assert "Dana Whitfield" in first.text and "127.0.0.1" in first.text
    failed = browser.find_element(By.CSS_SELECTOR, "[data-audit-entry=sign_in_failed]")
    assert "Marcus Bell" in failed.text and "wrong password" in failed.text

    # Only the failed sign-ins.
    Select(browser.find_element(By.ID, "audit-action")).select_by_visible_text("Sign-in failed")
    browser.find_element(By.XPATH, "//button[normalize-space()='Show']").click()
    WebDriverWait(browser, WAIT).until(lambda d: "action=sign_in_failed" in d.current_url)
    kinds = {entry.get_attribute("data-audit-entry") for entry in entries(browser)}
    assert kinds == {"sign_in_failed"}
    assert Select(browser.find_element(By.ID, "audit-action")).first_selected_option.text == "Sign-in failed"

    # The same filter as CSV, with this session's cookie.
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    request = urllib.request.Request(
        base_url + "/settings/audit-log.csv?action=sign_in_failed", headers={"Cookie": cookie})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in response.headers["Content-Disposition"]
        lines = response.read().decode().strip().split("\r\n")
    assert lines[0].startswith("occurred_at,action,")
    assert len(lines) >= 2 and all(",sign_in_failed," in line for line in lines[1:])

    # The download is in the log now; a last day before the first is refused, saying why.
    browser.get(base_url + "/settings/audit-log?from=2026-12-31&to=2026-01-01")
    assert "must not be after" in browser.find_element(By.CSS_SELECTOR, "[data-error]").text
    assert entries(browser)[0].get_attribute("data-audit-entry") == "audit_log_exported"

    # A day long ago: nothing, and the page says so.
    browser.get(base_url + "/settings/audit-log?to=2001-01-01")
    assert "Nothing matches this filter" in browser.find_element(By.CSS_SELECTOR, ".empty-state").text


def test_a_dispatcher_cannot_open_the_log(browser, base_url):
    sign_in_as(browser, base_url, DISPATCHER)
    browser.get(base_url + "/settings/audit-log")
    assert not entries(browser)
    assert "cannot" in browser.find_element(By.TAG_NAME, "main").text.lower()
