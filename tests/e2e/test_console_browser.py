"""The console in a real browser (Debian's chromium, headless, driven through Debian's chromium-driver), over
`make run` as a newcomer starts it: a job started from the form, its progress bar watched as it moves (and
the page reloaded meanwhile), the job stopped with the Stop button, its details opened; a document whose key
is HTML shows as text; the jobs list filtered as List filters. The terminal `make run` printed meanwhile is
read too: the job's lines and progress, no JSON, no moto internals.

Screenshots of each page go to tests/e2e/screenshots/ (git-ignored) for a person to look at.

A job is stopped mid-way because it has many documents (a few thousand: tens of seconds of work here),
and each step waits for what a person would wait for (the bar having moved, the status shown), never for
a time.
"""

import base64
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.e2e import CREDENTIALS, ROOT, RunningStack, free_port, running_stack

pytestmark = pytest.mark.e2e

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")  # Debian's (make test-e2e installs them)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1366,1000"]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"
INPUT = "translate-jobs-demo-input"
HOSTILE_KEY = "<img src=x onerror=alert(1)>.txt"  # sorts first: in the first batch, so in a stopped job's details
DOCUMENTS = 2500  # at tens of documents a second here, far longer than watching and stopping takes
PATIENCE = 120  # seconds any one step may take on a busy 2-core machine (a step is never timed)


class Console:
    """make run as a subprocess (its stdout and log file kept), and its console's URL."""

    def __init__(self, stack: RunningStack, url: str, log_file: Path) -> None:
        self.stack, self.url, self.log_file = stack, url, log_file


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    logs = tmp_path_factory.mktemp("console-stack")
    port, emulator_port, console_port = free_port(), free_port(), free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "MOTO_")) and key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    command = ["make", "run", f"PORT={port}", f"EMULATOR_PORT={emulator_port}", f"CONSOLE_PORT={console_port}",
               f"LOG_FILE={logs / 'functions.log'}"]
    with running_stack(command, env, logs, port, emulator_port, timeout=120) as stack:
        yield Console(stack, f"http://127.0.0.1:{console_port}", logs / "functions.log")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), "Debian's chromium and chromium-driver: `make test-e2e` installs them"
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try to download a browser or a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='console-chromium-')}"]:
        options.add_argument(flag)
    options.set_capability("unhandledPromptBehavior", "ignore")  # a dialog stays open, for the test to find
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("console-*.png"):
        old.unlink()
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    """The whole page, not just the window."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
        "x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 5000), "scale": 1}})
    (SCREENSHOTS / f"console-{name}.png").write_bytes(base64.b64decode(shot["data"]))


def wait(driver: webdriver.Chrome, what: Any, message: str) -> Any:
    """Until ``what`` is truthy. The pages redraw as they refresh: an element found just before a redraw is
    looked for again."""
    return WebDriverWait(driver, PATIENCE, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,)).until(what, message)


def read(driver: webdriver.Chrome, script: str, *args: Any) -> Any:
    """What the page shows, read in one go in the page (never half before and half after a redraw)."""
    return driver.execute_script(script, *args)


def click(driver: webdriver.Chrome, selector: str) -> bool:
    driver.find_element(By.CSS_SELECTOR, selector).click()
    return True


def no_dialog_opened(driver: webdriver.Chrome) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - the property raises when no dialog is open


def progress(driver: webdriver.Chrome) -> tuple[int, int]:
    bar = driver.find_element(By.ID, "job-progress")
    return int(float(bar.get_property("value"))), int(float(bar.get_property("max")))


def status(driver: webdriver.Chrome) -> str:
    return str(read(driver, "const badge = document.querySelector('h1 [data-status]'); return badge ? badge.dataset.status : ''"))


ROW = """const row = document.querySelector(`tr[data-job-id="${arguments[0]}"]`);
return row && {status: row.querySelector('[data-status]').dataset.status, text: row.innerText,
               bars: row.querySelectorAll('progress').length}"""
STATUSES = "return [...document.querySelectorAll(arguments[0] + ' [data-status]')].map((badge) => badge.dataset.status)"


def upload(console: Console, prefix: str) -> None:
    s3 = boto3.client("s3", endpoint_url=console.stack.emulator, region_name="us-east-1",
                      aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    keys = [HOSTILE_KEY, *(f"doc-{n:05d}.txt" for n in range(DOCUMENTS - 1))]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=INPUT, Key=prefix + key, Body=b"Hello, world. A sentence."), keys))


def terminal_lines(console: Console, job_id: str) -> list[str]:
    return [line for line in console.stack.stdout.read_text().splitlines() if job_id in line]


def test_a_job_started_from_the_form_is_watched_stopped_and_its_details_read(console: Console, browser: webdriver.Chrome) -> None:
    # Given many documents in a folder of the demo input bucket, one of them named like HTML
    folder = f"console-{uuid.uuid4().hex[:8]}/"
    upload(console, folder)
    name = f"console-e2e-{uuid.uuid4().hex[:6]}"

    # When a person opens the console's Start form and picks that folder with the S3 picker
    browser.get(console.url + "/#/start")
    wait(browser, lambda d: d.find_elements(By.ID, "start-form"), "the Start form")
    browser.find_element(By.ID, "job-name").send_keys(name)
    browser.find_element(By.CSS_SELECTOR, "#start-form .row button").click()  # the input folder's Browse S3
    wait(browser, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#input-picker button.folder") if folder in b.text],
         "the folder in the picker")[0].click()
    objects = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#input-picker li.object"), "the folder's documents")
    # Then the document named like HTML is listed as text
    assert objects[0].text.startswith(HOSTILE_KEY)
    assert browser.find_elements(By.CSS_SELECTOR, "#input-picker img") == []
    browser.find_element(By.ID, "use-folder").click()
    assert browser.find_element(By.ID, "input-uri").get_property("value") == f"s3://{INPUT}/{folder}"
    browser.find_element(By.ID, "target-languages").send_keys("fr")
    screenshot(browser, "1-start-form")

    # When they start the job
    browser.find_element(By.ID, "start").click()
    wait(browser, lambda d: re.search(r"#/jobs/[0-9a-f]{32}$", d.current_url), "the job's page")
    job_id = browser.current_url.rsplit("/", 1)[-1]

    # Then its page shows its progress bar moving, also after a reload mid-way
    wait(browser, lambda d: progress(d)[0] > 0, "documents done")
    browser.refresh()
    first, total = wait(browser, lambda d: progress(d)[0] > 0 and progress(d), "the bar again after the reload")
    assert total == DOCUMENTS
    moved, _ = wait(browser, lambda d: progress(d)[0] > first and progress(d), "the bar moving")
    assert first < moved < DOCUMENTS
    assert status(browser) == "IN_PROGRESS"
    # and the terminal shows its progress too
    wait(browser, lambda _: any(re.search(rf": [1-9][\d,]* of {DOCUMENTS:,} documents", line)
                                for line in terminal_lines(console, job_id)), "a progress line in the terminal")
    screenshot(browser, "2-job-running")

    # And the jobs list shows it running, with its bar
    browser.get(console.url + "/#/jobs")
    row = wait(browser, lambda d: read(d, ROW, job_id), "the job in the list")
    assert row["status"] == "IN_PROGRESS" and row["bars"] == 1
    assert name in row["text"] and "en → fr" in row["text"]
    screenshot(browser, "3-jobs-list")

    # When they open it and press Stop
    wait(browser, lambda d: click(d, f'tr[data-job-id="{job_id}"] a'), "the job's link")
    wait(browser, lambda d: d.find_element(By.ID, "stop").is_enabled() and click(d, "#stop"), "Stop, enabled, pressed")

    # Then the job stops short of its documents, and Stop is no longer offered
    wait(browser, lambda d: status(d) == "STOPPED", "the job STOPPED")
    done, _ = progress(browser)
    assert moved <= done < DOCUMENTS
    assert not browser.find_element(By.ID, "stop").is_enabled()
    screenshot(browser, "4-job-stopped")

    # And its details list what was translated, the HTML-named document as plain text, and no script ran
    rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#documents tr.document"), "the documents")
    assert rows[0].find_element(By.CSS_SELECTOR, "td.source").text == HOSTILE_KEY
    link = rows[0].find_element(By.CSS_SELECTOR, "td.source a").get_attribute("href")
    assert link == f"{console.url}/api/s3/object?uri={quote(f's3://{INPUT}/{folder}{HOSTILE_KEY}', safe='()')}"
    assert browser.find_elements(By.CSS_SELECTOR, "#documents img") == []
    assert [cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td")][1:3] == ["SUCCEEDED", "fr." + HOSTILE_KEY]
    events = wait(browser, lambda d: len(read(d, STATUSES, "#events")) >= 4 and read(d, STATUSES, "#events"), "the job's events")
    assert events == ["SUBMITTED", "IN_PROGRESS", "STOP_REQUESTED", "STOPPED"]
    message = read(browser, "return document.querySelector('[data-property=\"Message\"]').innerText")
    assert message.startswith("Stopped on request")
    no_dialog_opened(browser)
    screenshot(browser, "5-stopped-job-details")

    # When they filter the jobs list on STOPPED (as List filters), and reload
    browser.get(console.url + "/#/jobs")
    Select(wait(browser, lambda d: d.find_element(By.ID, "filter-kind"), "the filters")).select_by_value("status")
    Select(browser.find_element(By.ID, "filter-value")).select_by_value("STOPPED")
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait(browser, lambda d: "filter=status" in d.current_url, "the filter in the URL")
    browser.refresh()
    # Then the job is listed, and only STOPPED jobs are
    wait(browser, lambda d: read(d, ROW, job_id), "the stopped job listed")
    assert set(read(browser, STATUSES, "#jobs")) == {"STOPPED"}
    assert Select(browser.find_element(By.ID, "filter-value")).first_selected_option.text == "STOPPED"
    no_dialog_opened(browser)
    screenshot(browser, "6-jobs-list-filtered")

    # And the terminal told the job's story in sentences; the functions' JSON and moto's internals went to the file
    lines = terminal_lines(console, job_id)
    assert lines[0].endswith(f'job "{name}" ({job_id}) submitted: en → fr, s3://{INPUT}/{folder} (text/plain)')
    assert any(line.endswith(f'job "{name}" ({job_id}) in progress') for line in lines)
    assert any(f'job "{name}" ({job_id}) stop requested by arn:aws:iam::123456789012:root (API)' in line for line in lines)
    assert re.search(rf'job "{name}" \({job_id}\) stopped: [\d,]+ of {DOCUMENTS:,} documents translated in ', lines[-1])
    printed = console.stack.stdout.read_text() + console.stack.stderr.read_text()
    assert "FailureEventException" not in printed and '{"level"' not in printed and "Traceback" not in printed
    logged = console.log_file.read_text()
    assert "FailureEventException" in logged and '"level":"INFO"' in logged


def test_the_start_form_offers_the_accounts_terminologies_and_the_job_names_the_one_chosen(console: Console,
                                                                                          browser: webdriver.Chrome) -> None:
    # Given a terminology of the demo account, imported as any client does
    translate = boto3.client("translate", endpoint_url=console.stack.api, region_name="us-east-1",
                             aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                             aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    name = f"brand-{uuid.uuid4().hex[:6]}"
    translate.import_terminology(Name=name, MergeStrategy="OVERWRITE",
                                 TerminologyData={"File": b"en,fr\nHello,Salut\n", "Format": "CSV"})
    folder = f"terms-{uuid.uuid4().hex[:8]}/"
    boto3.client("s3", endpoint_url=console.stack.emulator, region_name="us-east-1",
                 aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"], aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                 ).put_object(Bucket=INPUT, Key=folder + "a.txt", Body=b"Hello.")
    # When a person opens the Start form
    browser.get(console.url + "/#/start")
    wait(browser, lambda d: d.find_elements(By.ID, "start-form"), "the Start form")
    # Then the terminology is offered, and the job started with it names it
    wait(browser, lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, "#terminology-names option") if o.text == name],
         "the terminology among the options")
    Select(browser.find_element(By.ID, "terminology-names")).select_by_visible_text(name)
    browser.find_element(By.ID, "input-uri").clear()
    browser.find_element(By.ID, "input-uri").send_keys(f"s3://{INPUT}/{folder}")
    browser.find_element(By.ID, "target-languages").send_keys("fr")
    browser.find_element(By.ID, "start").click()
    wait(browser, lambda d: re.search(r"#/jobs/[0-9a-f]{32}$", d.current_url), "the job's page")
    job = translate.describe_text_translation_job(JobId=browser.current_url.rsplit("/", 1)[-1])["TextTranslationJobProperties"]
    assert job["TerminologyNames"] == [name]
