"""The technician's phone page (TC1-TC6) next to the office inbox.

Luis Romero (a demo technician with both chat permissions) has an afternoon visit at Nora
Whitaker's whose thread the office started; Nora is played through the phone simulator."""
import uuid

from selenium.webdriver.common.by import By

from test_inbox_live import (
    click,
    item_with,
    sign_in_as,
    submit_with_confirmation,
    text_in,
    thread_text,
    wait_until,
)

TECHNICIAN = "luis@northside.example"
NORA = "+15125550176"


def field_cards(driver):
    return driver.execute_script(
        """
        return [...document.querySelectorAll('.field-card')].map((a) => ({
          href: a.getAttribute('href'), text: a.innerText, unread: !!a.querySelector('[data-unread-dot]') }));
        """
    )


def card_for(driver, name):
    return next((card for card in field_cards(driver) if name in card["text"]), None)


def chat_text(driver):
    return driver.execute_script("return document.getElementById('field-thread')?.innerText ?? ''")


def test_a_technician_answers_from_the_phone_and_the_office_sees_it(base_url, phone, new_browser):
    office = new_browser()
    sign_in_as(office, base_url)
    sign_in_as(phone, base_url, TECHNICIAN)
    assert phone.current_url.endswith("/field"), phone.current_url
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 375

    # Nora texts; the technician's list shows the red mark on her job without a reload.
    question = "Is Luis still coming today? " + uuid.uuid4().hex[:6]
    text_in(office, NORA, question)
    wait_until(phone, lambda d: (card_for(d, "Nora Whitaker") or {}).get("unread"), "the unread mark never showed")

    job_url = base_url + card_for(phone, "Nora Whitaker")["href"]
    phone.get(job_url)
    wait_until(phone, lambda d: question in chat_text(d), "the chat does not show Nora's text")
    wait_until(phone, lambda d: d.find_elements(By.ID, "field-reply"), "the composer is there")
    box = phone.find_element(By.ID, "field-reply")
    send = phone.find_element(By.CSS_SELECTOR, "[data-field-composer] button[type=submit]")
    assert box.size["height"] >= 44 and send.size["height"] >= 44, "touch targets are at least 44 px tall"
    answer = "Yes, I will be there by 3:30 " + uuid.uuid4().hex[:4]
    box.send_keys(answer)
    send.click()
    wait_until(phone, lambda d: answer in chat_text(d), "the reply does not show in the technician's chat")
    phone.get(base_url + "/field")
    assert not card_for(phone, "Nora Whitaker")["unread"], "reading the job's chat clears its mark"

    # The office has the reply in the same thread, with the technician as its author.
    office.get(base_url + "/inbox")
    wait_until(office, lambda d: item_with(d, "Nora Whitaker") is not None, "Nora's thread is in the office inbox")
    conversation = item_with(office, "Nora Whitaker")["id"]
    office.get(f"{base_url}/inbox?c={conversation}")
    wait_until(office, lambda d: answer in thread_text(d), "the office does not see the technician's reply")
    message = office.find_element(By.XPATH, f"//li[contains(@class,'message')][.//p[contains(., '{answer}')]]")
    assert "Luis Romero" in message.text and "Technician" in message.text, message.text

    # Closed in the office: gone from the technician's job after a refresh; reopened, back.
    submit_with_confirmation(office, "//button[normalize-space()='Close']")
    wait_until(office, lambda d: "Conversation closed." in d.find_element(By.CSS_SELECTOR, ".flash").text, "closed")
    phone.get(job_url)
    assert answer not in chat_text(phone)
    assert "The office closed the conversation" in chat_text(phone)
    assert not phone.find_elements(By.CSS_SELECTOR, "[data-field-composer]")

    office.get(f"{base_url}/inbox?c={conversation}")
    click(office, "//button[normalize-space()='Reopen']")
    wait_until(office, lambda d: "Conversation reopened." in d.find_element(By.CSS_SELECTOR, ".flash").text, "reopened")
    phone.get(job_url)
    wait_until(phone, lambda d: answer in chat_text(d), "the reopened thread is back on the technician's job")

