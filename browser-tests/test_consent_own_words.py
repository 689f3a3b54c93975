"""Consent in people's own words (issue 19): a customer who asks to stop in a sentence is opted out
as STOP does, the same words about the job are not, the customer page quotes what they wrote; and
the marketing limit an admin sets under Settings (CP4), on a phone, a tablet and a desktop."""
import random

import pytest
from selenium.webdriver.common.by import By

from api import API
from test_first_hour_inbox import no_sideways_scroll, open_conversation, shown, unknown_conversation
from test_inbox_live import sign_in_as, text_in, thread_text, wait_until


def test_a_revocation_in_a_sentence_opts_out_and_the_customer_page_quotes_it(new_browser, base_url):
    driver = new_browser(1440, 900)
    sign_in_as(driver, base_url)
    # About the job: an ordinary message, the composer stays.
    conversation, phone, body = unknown_conversation(
        driver, base_url, body=f"Can you stop by at 3? The leak won't stop {random.randint(100, 999)}")
    open_conversation(driver, base_url, conversation, body)
    assert shown(driver, "#composer-body") and not driver.find_elements(By.CSS_SELECTOR, ".composer-off")

    words = "Thanks for fixing the sink, José did great 🙏 Please stop sending me these texts though"
    text_in(driver, phone, words)
    wait_until(driver, lambda d: shown(d, ".composer-off") and not shown(d, "#composer-body"),
               "a revocation in a sentence did not opt the number out")
    assert "opted out" in driver.find_element(By.CSS_SELECTOR, ".composer-off").text
    wait_until(driver, lambda d: "unsubscribed" in thread_text(d), "the one confirmation was not sent")

    # The number becomes a customer's: their consent history says how, and quotes the text.
    api = API(base_url)
    customer = api.call("POST", "/customers", {
        "name": "Mariana Olvera-Núñez",
        "location": {"street": "4100 Speedway", "city": "Austin", "state": "TX", "postalCode": "78751"},
        "phones": [{"number": phone, "kind": "mobile"}]})
    for width, height in [(390, 844), (768, 1024), (1440, 900)]:
        driver.set_window_size(width, height)
        driver.get(f"{base_url}/customers/{customer['id']}")
        summary = driver.find_element(By.CSS_SELECTOR, ".consent-history summary")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", summary)
        history = driver.find_element(By.CSS_SELECTOR, ".consent-list").text
        assert "Asked in their own words" in history, history
        assert "Please stop sending me these texts though" in history, history
        assert no_sideways_scroll(driver), f"the customer page scrolls sideways at {width}px"


@pytest.mark.parametrize("width,height", [(390, 844), (768, 1024), (1440, 900)])
def test_the_marketing_limit_is_set_under_settings(new_browser, base_url, width, height):
    driver = new_browser(width, height)
    sign_in_as(driver, base_url)
    driver.get(base_url + "/settings#marketing-limit")
    texts = driver.find_element(By.ID, "marketingLimitTexts")
    days = driver.find_element(By.ID, "marketingLimitDays")
    switch = driver.find_element(By.NAME, "skipOpenConversations")
    assert no_sideways_scroll(driver), f"settings scroll sideways at {width}px"
    original = (texts.get_attribute("value"), days.get_attribute("value"), switch.is_selected())
    try:
        texts.clear()
        texts.send_keys("6")
        days.clear()
        days.send_keys("14")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", switch)
        driver.execute_script("arguments[0].click()", switch)
        driver.execute_script("arguments[0].closest('form').requestSubmit()", texts)
        wait_until(driver, lambda d: "Settings saved" in d.page_source, "the settings were not saved")
        limit = API(base_url).call("GET", "/account")["marketingLimit"]
        assert limit == {"texts": 6, "days": 14, "skipOpenConversations": not original[2]}, limit
        assert driver.find_element(By.ID, "marketingLimitTexts").get_attribute("value") == "6"
    finally:
        API(base_url).call("PATCH", "/account", {"marketingLimit": {
            "texts": int(original[0]), "days": int(original[1]), "skipOpenConversations": original[2]}})
