"""Journeys through the console in a real browser (Debian's chromium, Selenium), with a
real XiaoAn on the other end (``assistant run --json``, fed what the elder says):

- an alarm arrives → the board shows it within 2 s → the operator acknowledges with a
  note → XiaoAn says 服务中心已收到 and the note;
- a provider accepts a booking → the elder hears it on asking;
- a family sees a missed dose.

``XIAOAN_SCREENSHOTS=DIR`` keeps a screenshot of each page (docs/console.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from bench.chaos import DEVICE_ID, SECRET, assistant_env
from tests.support.browser import chromium, log_in, on_element, screenshot, shows
from tests.support.care_fixture import CareServer, running_careplatform
from tests.support.console_client import PASSWORD
from tests.support.platform_fixture import DeviceClient
from tests.support.speaking import Speaker

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def care(tmp_path: Path) -> Iterator[CareServer]:
    with running_careplatform(tmp_path, {DEVICE_ID: bytes.fromhex(SECRET)}) as server:
        accounts = server.platform.accounts
        accounts.add("小张", "operator", PASSWORD)
        accounts.add("阳光", "provider", PASSWORD, provider="阳光家政")
        accounts.add("王女儿", "family", PASSWORD, devices=(DEVICE_ID,))
        server.platform.care.set_device(DEVICE_ID, "test", "王秀英", "3栋2单元501")
        yield server


@pytest.fixture
def elder(tmp_path: Path, care: CareServer) -> Iterator[Speaker]:
    speaker = Speaker(assistant_env(tmp_path, care.url))
    yield speaker
    assert "Traceback" not in speaker.stop()


def _until(speaker: Speaker, key: str, said: list[str], within_s: float = 10.0) -> bool:
    return key in said or speaker.hears(within_s) == key


def test_an_alarm_is_on_the_board_within_2_s_and_its_acknowledgement_is_heard(
    care: CareServer, elder: Speaker
) -> None:
    with chromium() as browser:
        log_in(browser, care.url, "小张", PASSWORD)
        assert browser.current_url.endswith("/board")
        said = elder.say("救命，我摔倒了")
        assert said[0] == "emergency.recorded"
        assert _until(elder, "emergency.delivered", said)
        assert shows(browser, ".emergency.unacked", within_s=2.0)  # the board's next refresh
        screenshot(browser, "board-alarm")

        def acknowledge(item: WebElement) -> None:
            item.find_element(By.NAME, "note").send_keys("王医生十分钟到")
            item.find_element(By.CSS_SELECTOR, "button.ack").click()

        on_element(browser, ".emergency.unacked", acknowledge)
        assert shows(browser, '.board[data-unacked="0"]', within_s=5.0)
        screenshot(browser, "board-acknowledged")
    assert elder.hears(5.0) == "emergency.acknowledged"  # the alarm watch asks every 3 s
    assert elder.say("救命啊")[0] == "emergency.help_coming"


def test_a_provider_accepts_a_booking_and_the_elder_hears_it_on_asking(
    care: CareServer, elder: Speaker
) -> None:
    assert elder.say("明天上午来保洁") == ["booking.confirm"]
    said = elder.say("对")
    assert _until(elder, "delivered.service_booking", said)
    booking = care.store.list_requests(kind="service_booking")[0]
    with chromium() as browser:
        log_in(browser, care.url, "小张", PASSWORD)
        browser.get(f"{care.url}/requests/{booking.id}")
        browser.find_element(By.ID, "dispatch").click()
        assert shows(browser, '.detail[data-provider="阳光家政"]', 5.0)  # the page after it
        screenshot(browser, "request-dispatched")
        browser.find_element(By.ID, "logout").click()
        log_in(browser, care.url, "阳光", PASSWORD)
        job = browser.find_element(By.CSS_SELECTOR, f'.job[data-id="{booking.id}"]')
        job.find_element(By.NAME, "text").send_keys("明早九点到")
        job.find_element(By.CSS_SELECTOR, "button.accept").click()
        assert shows(browser, f'.job[data-id="{booking.id}"][data-status="accepted"]', 5.0)
        screenshot(browser, "provider-jobs")
    assert elder.say("保洁的师傅什么时候来")[0] == "status.accepted_provider"


def test_a_family_sees_a_missed_dose(care: CareServer) -> None:
    device = DeviceClient(care.url, DEVICE_ID, bytes.fromhex(SECRET))
    body = {
        "kind": "medicine_event",
        "created_at": "2026-12-05T08:35:00+08:00",
        "priority": 6,
        "summary": "王秀英 早上八点的降压药没有吃（提醒了3次）",
        "lang": "zh",
        "fields": {
            "event": "missed",
            "medicine": "降压药",
            "why": "no_answer",
            "due": "2026-12-05T08:00:00+08:00",
            "reminded": 3,
        },
    }
    assert device.submit(body).status_code == 201
    with chromium() as browser:
        log_in(browser, care.url, "王女儿", PASSWORD)
        assert browser.current_url.endswith("/family")
        missed = browser.find_element(By.CSS_SELECTOR, ".adherence td.missed")
        assert missed.text == "1"
        assert "降压药没有吃" in browser.find_element(By.CSS_SELECTOR, ".warning").text
        screenshot(browser, "family")
