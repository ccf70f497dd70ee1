"""JupyterLab in a real browser (Debian's Chromium driven by Playwright), as a researcher uses
it: run a notebook, see a document and a heatmap, code a passage by selecting it in the
`p.annotate` widget, find the coding in the project's files, and uncode it from the view; see a
code's suggestions marked as provisional and accept one."""

import csv
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
DOCUMENT = "cobalt-p2-interview-gp"
QUOTE = "links worker"
CODER = "browser-tester"
SUGGESTED_DOCUMENT = "cobalt-p1-focus-group"
SCREENSHOTS = ROOT / "target" / "browser-screenshots"

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and os.environ.get("CI") is None,
    reason="Debian's Chromium is not installed (tests/all.sh installs it)",
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook(cells):
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": src}
            for i, src in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "qualkit", "display_name": "qualkit (Rhai)", "language": "rhai"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a copy of the sample project, with a notebook that codes it."""
    shutil.copytree(ROOT / "data" / "deep-end", tmp_path / "deep-end", ignore=shutil.ignore_patterns(".qualkit"))
    cells = [
        f'let p = project("deep-end");\np.coder = "{CODER}";',
        f'p.show("{DOCUMENT}")',
        f'p.annotate("{DOCUMENT}")',
        'p.matrix("case", "npt").heatmap()',
    ]
    (tmp_path / "coding.ipynb").write_text(json.dumps(notebook(cells)), encoding="utf-8")
    suggesting = [
        f'let p = project("deep-end");\np.coder = "{CODER}";',
        f'p.annotate("{SUGGESTED_DOCUMENT}", #{{suggest: "npt.coherence"}})',
    ]
    (tmp_path / "suggestions.ipynb").write_text(json.dumps(notebook(suggesting)), encoding="utf-8")
    port = free_port()
    token = "qualkit-browser-test"
    # Every cell rendered (no windowing), so the test sees all outputs; no news pop-up.
    settings = tmp_path / "lab-settings"
    for name, value in [
        ("@jupyterlab/notebook-extension/tracker.jupyterlab-settings", {"windowingMode": "none"}),
        ("@jupyterlab/apputils-extension/notification.jupyterlab-settings", {"fetchNews": "false"}),
    ]:
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(value), encoding="utf-8")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--allow-root",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--ServerApp.disable_check_xsrf=True", f"--LabApp.user_settings_dir={settings}"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                raise AssertionError("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text())
            time.sleep(0.3)
    yield url, token, tmp_path
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def rows(project, coder=CODER):
    path = project / "codings" / f"{coder}.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def wait_for(predicate, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def launch(pw):
    return pw.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--disable-quic"],
    )


def test_coding_by_selection_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, token, folder = lab
    project = folder / "deep-end"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        console = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"page error: {e}"))
        try:
            page.goto(f"{url}/lab/tree/coding.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            # The kernel is ready when the status bar names it idle.
            page.wait_for_selector("text=qualkit (Rhai) | Idle", timeout=60_000)
            page.get_by_role("menuitem", name="Run").click()
            page.get_by_text("Run All Cells", exact=True).click()

            widget = page.locator(".qk-annotate")
            widget.locator(".qk-lines").wait_for(timeout=60_000)
            static_view = page.locator(".jp-OutputArea-output .qk-doc").first
            static_view.wait_for(timeout=30_000)
            # JupyterLab shows SVG output as an image: drawn when it decoded to a real size.
            heatmap = page.locator('.jp-RenderedSVG img').last
            heatmap.wait_for(timeout=30_000)
            heatmap.scroll_into_view_if_needed()
            size = heatmap.evaluate("img => [img.naturalWidth, img.naturalHeight, img.complete]")
            assert size[0] > 100 and size[1] > 50 and size[2], f"the heatmap is drawn: {size}"
            assert static_view.locator(".qk-stripe").count() > 10, "the document view has stripes"
            page.screenshot(path=str(SCREENSHOTS / "notebook.png"), full_page=True)

            # Drag across the words, as a user selects them.
            box = page.evaluate(
                """([quote]) => {
                    const cells = document.querySelectorAll('.qk-annotate .qk-text');
                    for (const cell of cells) {
                        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                            const at = node.data.indexOf(quote);
                            if (at < 0) continue;
                            node.parentElement.scrollIntoView({block: 'center'});
                            const range = document.createRange();
                            range.setStart(node, at);
                            range.setEnd(node, at + quote.length);
                            const rects = range.getClientRects();
                            const first = rects[0], last = rects[rects.length - 1];
                            return {x0: first.left + 1, y0: first.top + first.height / 2,
                                    x1: last.right - 1, y1: last.top + last.height / 2};
                        }
                    }
                    return null;
                }""",
                [QUOTE],
            )
            assert box, "the passage is in the widget"
            page.mouse.move(box["x0"], box["y0"])
            page.mouse.down()
            page.mouse.move(box["x1"], box["y1"], steps=8)
            page.mouse.up()
            selected = widget.locator(".qk-selected").inner_text()
            assert QUOTE in selected, selected

            search = widget.locator(".qk-toolbar .qk-code-search")
            search.fill("coherence")
            widget.locator('.qk-toolbar .qk-code-option[data-code="npt.coherence"]').click()
            widget.locator(".qk-apply").click()
            status = widget.locator('.qk-status[data-kind="ok"]')
            status.wait_for(timeout=30_000)
            assert "Coded" in status.inner_text()
            wait_for(lambda: len(rows(project)) == 1, "the coding in the project's files")
            coding = rows(project)[0]
            assert (coding["code"], coding["quote"], coding["coder"]) == ("npt.coherence", QUOTE, CODER)
            stripe = widget.locator(f'.qk-stripe[data-coding="{coding["id"]}"]').first
            stripe.wait_for(timeout=10_000)
            page.screenshot(path=str(SCREENSHOTS / "coded.png"), full_page=True)

            # Uncode it from the view.
            stripe.click()
            widget.locator(".qk-panel .qk-uncode").click()
            wait_for(lambda: rows(project) == [], "the coding to leave the project's files")
            widget.locator(f'.qk-stripe[data-coding="{coding["id"]}"]').wait_for(state="detached", timeout=10_000)
            log = (project / "log.jsonl").read_text(encoding="utf-8")
            assert log.count(f'"{CODER}"') >= 2, "coding and uncoding are both in the audit log"
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "failure.png"), full_page=True)
            print("browser console:\n" + "\n".join(console))
            raise
        finally:
            browser.close()


def test_accepting_a_suggestion_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, token, folder = lab
    project = folder / "deep-end"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        console = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"page error: {e}"))
        try:
            page.goto(f"{url}/lab/tree/suggestions.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.wait_for_selector("text=qualkit (Rhai) | Idle", timeout=60_000)
            page.get_by_role("menuitem", name="Run").click()
            page.get_by_text("Run All Cells", exact=True).click()

            widget = page.locator(".qk-annotate")
            marks = widget.locator(".qk-view .qk-suggested")
            marks.first.wait_for(timeout=90_000)
            # Provisional marks: a dashed outline, not a coding stripe.
            assert marks.first.evaluate("m => getComputedStyle(m).borderTopStyle") == "dashed"
            panel = widget.locator(".qk-suggestions")
            assert "kappa" in panel.locator(".qk-evaluation").inner_text()
            assert "not codings until accepted" in panel.inner_text()
            cards = panel.locator(".qk-suggestion-card")
            assert cards.count() == len({m for m in marks.evaluate_all("ms => ms.map(m => m.dataset.suggestion)")})
            first = cards.first
            suggestion = first.get_attribute("data-suggestion")
            start, end = (int(n) for n in suggestion[1:].split("-"))
            assert "Like coded" in first.locator(".qk-reason").inner_text()
            marks.first.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "suggestions.png"), full_page=True)
            assert rows(project, f"{CODER}_suggest") == [], "nothing stored before accepting"

            first.locator(".qk-accept").click()
            status = widget.locator('.qk-status[data-kind="ok"]')
            status.wait_for(timeout=60_000)
            text = status.inner_text()
            assert "Accepted" in text and f"{start}..{end}" in text and f"{CODER}+suggest" in text, text
            wait_for(lambda: len(rows(project, f"{CODER}_suggest")) == 1, "the accepted coding in the files")
            coding = rows(project, f"{CODER}_suggest")[0]
            assert (coding["document"], int(coding["start"]), int(coding["end"]), coding["code"]) == (
                SUGGESTED_DOCUMENT, start, end, "npt.coherence")
            stripe = widget.locator(f'.qk-stripe[data-coding="{coding["id"]}"]').first
            stripe.wait_for(timeout=10_000)
            widget.locator(f'.qk-suggested[data-suggestion="{suggestion}"]').wait_for(state="detached", timeout=10_000)
            stripe.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "suggestion-accepted.png"), full_page=True)
            entry = json.loads((project / "log.jsonl").read_text(encoding="utf-8").splitlines()[-1])
            assert entry["action"] == "accept suggestions" and entry["detail"]["accepted_by"] == CODER
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "suggestion-failure.png"), full_page=True)
            print("browser console:\n" + "\n".join(console))
            raise
        finally:
            browser.close()
