"""The review page in a real browser: headless Chromium (Debian's chromium + chromium-driver,
installed by ``make test``) driven by Selenium against the running service.

The screenshot is kept as a test artifact in ``out/test-artifacts/review.png``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SELF_EVALUATION
from tests.service_helpers import KEY, ROOT, Server

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver "
                                "(make test installs them)")
ARTIFACTS = ROOT / "out" / "test-artifacts"


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,900", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    yield driver
    driver.quit()


def test_the_review_page_highlights_values_and_marks_flagged_fields(tmp_path, browser):
    from selenium.webdriver.common.by import By

    wrong_total = SELF_EVALUATION.replace("总分\t\t\t\t\t100.00\t94.55", "总分\t\t\t\t\t100.00\t90.55")
    server = Server(tmp_path).start()
    try:
        with server.client() as client:
            job_id = client.post("/v1/extractions", json={"text": wrong_total, "source": "wrong_total.txt"}).headers["x-formex-job"]
        browser.get(f"{server.url}/review/{job_id}?key={KEY}")
        marks = browser.find_elements(By.CSS_SELECTOR, "#source mark")
        assert len(marks) > 20                                             # values highlighted at their spans
        assert any("测试项目" in m.text for m in marks)                       # Chinese text in the page
        flagged = browser.find_elements(By.CSS_SELECTOR, "#source mark.flag-error")
        assert any(m.text == "90.55" for m in flagged)                     # the wrong total is flagged at its span
        rows = browser.find_elements(By.CSS_SELECTOR, "tr.field")
        review_rows = browser.find_elements(By.CSS_SELECTOR, "tr.field.needs-review")
        assert 0 < len(review_rows) < len(rows)
        browser.find_element(By.ID, "only-review").click()                 # the filter hides the rest
        visible = [r for r in rows if r.is_displayed()]
        assert len(visible) == len(review_rows)
        assert any("total_score" in r.text for r in visible)
        review_rows[0].click()                                             # a field scrolls to its span
        assert browser.find_elements(By.CSS_SELECTOR, "mark.active")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "review.png"))
        assert Path(ARTIFACTS / "review.png").stat().st_size > 10_000
    finally:
        server.stop()
