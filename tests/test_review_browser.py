"""The reviewer's desk in a real browser: headless Chromium (Debian's chromium + chromium-driver,
installed by ``make test``) driven by Selenium against the running service.

Screenshots are kept as test artifacts in ``out/test-artifacts/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eval.render import render_scan_pdf
from tests.conftest import SELF_EVALUATION
from tests.service_helpers import KEY, ROOT, Server

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver "
                                "(make test installs them)")
ARTIFACTS = ROOT / "out" / "test-artifacts"
WRONG_TOTAL = SELF_EVALUATION.replace("总分\t\t\t\t\t100.00\t94.55", "总分\t\t\t\t\t100.00\t90.55")
CLERK = "clerk-secret-7"


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


def _screenshot(browser, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / name))
    assert Path(ARTIFACTS / name).stat().st_size > 10_000


def _wait(browser, condition, timeout: float = 20):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # the page reloads after a save: an element found just before may be gone when read
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def test_a_text_input_is_shown_highlighted_and_flagged_fields_filtered(tmp_path, browser):
    from selenium.webdriver.common.by import By

    server = Server(tmp_path).start()
    try:
        with server.client() as client:
            job_id = client.post("/v1/extractions", json={"text": WRONG_TOTAL, "source": "wrong_total.txt"}).headers["x-formex-job"]
        browser.get(f"{server.url}/review/{job_id}?key={KEY}")
        marks = browser.find_elements(By.CSS_SELECTOR, "#source mark")
        assert len(marks) > 20                                             # values highlighted at their spans
        assert any("测试项目" in m.text for m in marks)                       # Chinese text in the page
        flagged = browser.find_elements(By.CSS_SELECTOR, "#source mark.flag-error")
        assert any(m.text == "90.55" for m in flagged)                     # the wrong total is flagged at its span
        labels = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "th.label")]
        assert "项目名称" in labels and "年度资金总额" in labels              # the form's own labels
        finding = browser.find_element(By.CSS_SELECTOR, '.finding[data-code="total_score_mismatch"]')
        assert "总分 90.55 ≠ 资金得分 9.55 + Σ 指标得分 85.00" in finding.text  # the identity, with its numbers
        assert "expected 94.55" in finding.text and "found 90.55" in finding.text
        rows = [r for r in browser.find_elements(By.CSS_SELECTOR, "#fields tr") if r.find_elements(By.TAG_NAME, "td")]
        browser.find_element(By.ID, "only-review").click()                 # the filter hides the rest
        visible = [r for r in rows if r.is_displayed()]
        assert 0 < len(visible) < len(rows)
        assert all(r.find_elements(By.CSS_SELECTOR, "td.needs-review") for r in visible)
        browser.find_element(By.CSS_SELECTOR, 'td.field[data-path="total_score"]').click()
        active = browser.find_elements(By.CSS_SELECTOR, "mark.active")      # a field scrolls to its span
        assert [m.text for m in active] == ["90.55"]
        _screenshot(browser, "review.png")
    finally:
        server.stop()


def test_a_scan_is_reviewed_on_its_page_image_corrected_and_leaves_the_queue(tmp_path, browser):
    from selenium.webdriver.common.by import By

    server = Server(tmp_path, api_keys=[f"clerk:{CLERK}", KEY]).start()
    try:
        with server.client() as client:
            job_id = client.post("/v1/extractions", files={"file": ("scan.pdf", render_scan_pdf(WRONG_TOTAL, seed=3))}).json()["id"]
            assert server.wait_for(job_id)["status"] == "done"
            assert "total_score_mismatch" in {f["code"] for f in client.get(f"/v1/jobs/{job_id}/result").json()
                                              ["forms"][0]["validation"]["findings"]}

        browser.get(f"{server.url}/review?key={CLERK}")                     # the queue lists the form
        assert browser.find_elements(By.CSS_SELECTOR, f'tr.entry[data-job="{job_id}"]')
        _screenshot(browser, "review-queue.png")

        browser.get(f"{server.url}/review/{job_id}?key={CLERK}")
        image = browser.find_element(By.CSS_SELECTOR, ".page img")           # the page image renders
        _wait(browser, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image))
        assert image.size["width"] > 300 and image.size["height"] > 300
        boxes = browser.find_elements(By.CSS_SELECTOR, ".page .box")
        assert len(boxes) > 20 and all(b.size["width"] > 0 for b in boxes[:20])
        flagged_box = browser.find_element(By.CSS_SELECTOR, '.box.flag-error[data-key~="f0:total_score"]')
        _screenshot(browser, "review-scan.png")

        browser.find_element(By.CSS_SELECTOR, 'td.field.flag-error[data-path="total_score"]').click()
        assert "active" in flagged_box.get_attribute("class")               # clicking the field shows its box
        assert browser.execute_script(                                      # ... scrolled into the page pane
            "const b = arguments[0].getBoundingClientRect(), p = document.getElementById('pages').getBoundingClientRect();"
            "return b.width > 0 && b.left >= p.left && b.right <= p.right && b.top >= p.top && b.bottom <= p.bottom;",
            flagged_box)
        assert browser.execute_script("return getComputedStyle(document.getElementById('pages')).getPropertyValue('--zoom')") == "2"
        _screenshot(browser, "review-scan-field.png")

        value = browser.find_element(By.CSS_SELECTOR, 'td.field[data-path="total_score"] .value')
        value.clear()
        value.send_keys("94.55")
        browser.find_element(By.ID, "save").click()                          # saved: the page reloads with version 1
        _wait(browser, lambda d: "version 1" in d.find_element(By.ID, "summary").text)
        trail = browser.find_element(By.ID, "trail").text
        assert "clerk" in trail and "90.55" in trail and "94.55" in trail   # the trail names the key
        assert not browser.find_elements(By.CSS_SELECTOR, '.finding[data-code="total_score_mismatch"]')
        _screenshot(browser, "review-scan-corrected.png")

        with server.client() as client:
            result = client.get(f"/v1/jobs/{job_id}/result").json()
            assert result["review"]["version"] == 1 and result["review"]["reviewer"] == "clerk"
            assert result["review"]["corrected_fields"] == ["forms[0].total_score"]     # only what was edited
            assert result["forms"][0]["total_score"] == 94.55
            assert "total_score_mismatch" not in {f["code"] for f in result["forms"][0]["validation"]["findings"]}
            queued = [e for e in client.get("/v1/review").json()["queue"] if e["job"] == job_id]
        if queued:                                                           # other findings left: confirm them
            browser.find_element(By.CSS_SELECTOR, "button.confirm-form").click()
            browser.find_element(By.ID, "save").click()
            _wait(browser, lambda d: "version 2" in d.find_element(By.ID, "summary").text)
        browser.get(f"{server.url}/review?key={CLERK}")                      # ... and the form leaves the queue
        assert not browser.find_elements(By.CSS_SELECTOR, f'tr.entry[data-job="{job_id}"]')
    finally:
        server.stop()
