"""Campaigns (SC5, SC6, SC8) in a real browser: the composer's count of characters and of
recipients, sending, the progress page, and the opt-in QR code read back by a real decoder."""
import os
import subprocess
import tempfile
import time

from selenium.webdriver.common.by import By

from api import API
from test_inbox_live import sign_in_as, wait_until


def audience(driver, name):
    return driver.find_element(By.CSS_SELECTOR, f'[data-audience="{name}"]').text


def test_compose_count_send_and_follow_a_campaign(base_url, browser):
    api = API(base_url)
    consenting = api.call("POST", "/campaigns/audience-preview", {})["recipients"]
    assert consenting > 0
    sign_in_as(browser, base_url)
    browser.get(base_url + "/campaigns/new")
    wait_until(browser, lambda d: audience(d, "recipients") == str(consenting), "the audience is counted")

    body = browser.find_element(By.ID, "body")
    body.send_keys("Northside: drain cleaning $59 this week")
    wait_until(browser, lambda d: "characters left" in d.find_element(By.CSS_SELECTOR, "[data-body-count]").text,
               "the counter follows the text")
    left = int(browser.find_element(By.CSS_SELECTOR, "[data-body-count]").text.split()[0])
    assert left == 138 - len("Northside: drain cleaning $59 this week")
    assert browser.find_element(By.CSS_SELECTOR, "[data-campaign-preview]").text.endswith("Reply STOP to opt out")

    # A tag nobody has narrows the audience to nothing, live.
    tags = browser.find_element(By.ID, "tags")
    tags.send_keys("no such tag")
    wait_until(browser, lambda d: audience(d, "recipients") == "0", "the filter narrows the count")
    tags.clear()
    tags.send_keys("vip")
    wait_until(browser, lambda d: audience(d, "recipients") not in ("0", "—"), "vip customers are counted")
    vip = int(audience(browser, "recipients"))
    assert 0 < vip <= consenting

    browser.find_element(By.ID, "name").send_keys("Drain special")
    submit = browser.find_element(By.CSS_SELECTOR, "[data-campaign-submit]")
    assert submit.text == "Send now"
    browser.find_element(By.CSS_SELECTOR, 'input[name="send"][value="draft"]').click()
    assert submit.text == "Save draft"
    browser.find_element(By.CSS_SELECTOR, 'input[name="send"][value="now"]').click()
    submit.click()
    # Sending asks first, naming how many it reaches.
    alert = wait_until(browser, lambda d: d.switch_to.alert, "the confirmation")
    assert f"to {vip} recipients" in alert.text
    alert.accept()
    wait_until(browser, lambda d: "/campaigns/" in d.current_url and "Drain special" in d.title, "the campaign page")
    # The scheduler queues it within moments; the page follows without a reload.
    total = lambda d: sum(int(d.find_element(By.CSS_SELECTOR, f'[data-count="{n}"]').text.replace(",", ""))
                          for n in ("sent", "queued", "held", "skipped"))
    wait_until(browser, lambda d: total(d) == vip, "every vip recipient is accounted for")
    assert "Reply STOP to opt out" in browser.page_source


def test_the_opt_in_qr_code_reads_back_as_the_sms_link(base_url, browser):
    sign_in_as(browser, base_url)
    browser.get(base_url + "/campaigns")
    link = browser.find_element(By.ID, "optin-link").get_attribute("value")
    assert link.startswith("sms:+1") and "body=Please%20sign%20me%20up" in link
    image = browser.find_element(By.CSS_SELECTOR, "[data-optin-qr]")
    wait_until(browser, lambda d: d.execute_script("return arguments[0].naturalWidth", image) > 0, "the QR loads")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "qr.png")
        image.screenshot(path)
        decoded = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, text=True, check=True)
    assert decoded.stdout.strip() == link
