"""ServiceChannel work orders in a real browser (SV3, SV10, SV11, SV13): the job shows its work
order with the phone check-in, a note written on the job is queued for the work order and can be
edited, the invoice is drafted and exported, and a work order's booking is declined with
ServiceChannel's reason."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from api import API
from test_automatic_texts import section_text
from test_inbox_live import sign_in_as, wait_until


def work_order_job(base_url):
    return next(j for j in API(base_url).call("GET", "/jobs?limit=100")["items"]
                if j["summary"].startswith("Work order"))


def test_a_work_order_job_with_notes_and_an_invoice(base_url, browser):
    job = work_order_job(base_url)
    sign_in_as(browser, base_url)
    browser.get(f"{base_url}/jobs/{job['id']}")
    panel = section_text(browser, "work-order")
    assert "Harbor View Dental Group" in panel
    assert "4417" in panel
    assert "USD 450.00" in panel

    browser.find_element(By.ID, "note-text").send_keys("Bringing a new cartridge for the faucet.")
    browser.find_element(By.CSS_SELECTOR, "[data-note-form] button[type=submit]").click()
    wait_until(browser, lambda d: "Bringing a new cartridge" in section_text(d, "activity"), "the note is on the trail")
    # The note is queued for the work order (this demo has no ServiceChannel, so it waits).
    assert "Note: Dana Whitfield: Bringing a new cartridge for the faucet." in section_text(browser, "work-order")

    activity = browser.find_element(By.ID, "activity")
    activity.find_element(By.CSS_SELECTOR, ".note-edit > summary").click()
    field = activity.find_element(By.CSS_SELECTOR, ".note-edit textarea")
    field.clear()
    field.send_keys("Bringing two cartridges.")
    activity.find_element(By.CSS_SELECTOR, ".note-edit button[type=submit]").click()
    wait_until(browser, lambda d: "Bringing two cartridges." in section_text(d, "activity"), "the note is changed")
    assert "Edited note from Dana Whitfield: Bringing two cartridges." in section_text(browser, "work-order")

    invoice = browser.find_element(By.ID, "invoice")
    invoice.find_element(By.ID, "inv-labor").send_keys("350")
    invoice.find_element(By.ID, "inv-material").send_keys("1,200.50")
    invoice.find_element(By.ID, "inv-tax").send_keys("99.95")
    invoice.find_element(By.CSS_SELECTOR, "[data-invoice-form] button[type=submit]").click()
    wait_until(browser, lambda d: "Total $1,650.45" in section_text(d, "invoice"), "the draft shows its total")
    browser.find_element(By.CSS_SELECTOR, "#invoice form[action$='/invoice/export'] button").click()
    alert = wait_until(browser, lambda d: d.switch_to.alert, "the confirmation")
    assert "$1,650.45" in alert.text
    alert.accept()
    wait_until(browser, lambda d: "Exported" in section_text(d, "invoice"), "the invoice is exported")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-invoice-form]")
    assert "Invoice INV-" in section_text(browser, "work-order")


def test_decline_a_work_order_with_a_reason(base_url, browser):
    sign_in_as(browser, base_url)
    browser.get(base_url + "/bookings")
    item = browser.find_element(By.XPATH, "//li[.//*[@data-work-order]]")
    number = item.find_element(By.CSS_SELECTOR, "[data-work-order]").get_attribute("data-work-order")
    item.find_element(By.CSS_SELECTOR, ".decline-menu > summary").click()
    Select(item.find_element(By.CSS_SELECTOR, "select[name=reason]")).select_by_visible_text("Trade not serviced")
    item.find_element(By.CSS_SELECTOR, ".decline-form button[type=submit]").click()
    wait_until(browser, lambda d: "ServiceChannel hears the reason" in d.page_source, "the decline is confirmed")
    assert f'data-work-order="{number}"' not in browser.page_source
    browser.get(base_url + "/bookings?status=dismissed")
    assert f'data-work-order="{number}"' in browser.page_source
    assert "Decline" in browser.find_element(By.XPATH, f"//*[@data-work-order='{number}']").text
