"""``affect-llm chat``: the web demo in a real headless Chromium, the terminal mode, the wheel plot.

The browser test starts the demo as a user does (``affect-llm chat`` in a subprocess, on a free
port, with the fast-model folder: same code path, shorter answers), picks an example clip,
waits for the streamed explanation and the wheel, asks a follow-up question, and saves
``test-artifacts/chat.png``. Chromium is Debian's (``.ci/run`` installs it), driven by
Playwright for Python without ``playwright install``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chat(*args: str, stdin: str = "", timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "affect_llm", "chat", *args], input=stdin, check=False,
                          capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------- start-up stays cheap
def test_help_imports_no_web_or_model_library():
    code = ("import sys, time; t = time.perf_counter(); from affect_llm.cli.main import build_parser; "
            "build_parser().format_help(); dt = time.perf_counter() - t; "
            "heavy = [m for m in ('gradio', 'fastapi', 'uvicorn', 'torch', 'matplotlib') if m in sys.modules]; "
            "print(dt, ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, heavy = (out.stdout.split() + [""])[:2]
    assert heavy == "", f"--help imports {heavy}"
    assert float(seconds) < 1.0
    usage = subprocess.run([sys.executable, "-m", "affect_llm", "--help"], capture_output=True, text=True,
                           check=True).stdout
    assert "chat" in usage and "serve" in usage


# --------------------------------------------------------------------------- terminal mode
def test_tui_explains_then_answers_a_piped_question(example_clips, fast_model):
    proc = chat("--tui", str(example_clips["cheerful"]), "--model", str(fast_model), "--followup-tokens", "24",
                stdin="why do you think she is happy?\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "== cheerful" in out and "words (whisper):" in out  # transcribed: the real default path
    assert "In the video," in out and "Based on these clues" in out  # the streamed explanation, finished
    assert "emotions: " in out
    assert "you> why do you think she is happy?" in out
    reply = out.split("affect-llm> ", 1)[1].strip()
    assert len(reply.split()) >= 3, out


def test_tui_bad_clip_is_a_one_line_error(tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("this is a text file renamed to .mp4\n")
    proc = chat("--tui", str(notes), stdin="hello?\n", timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("affect-llm: error:") and "notes.mp4" in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


# --------------------------------------------------------------------------- wheel plot
def test_wheel_plot_plain_and_on_the_scorer_wheel(monkeypatch):
    pytest.importorskip("matplotlib")
    from affect_llm.demo.wheel import ScorerWheel, default_layout, wheel_figure

    with monkeypatch.context() as m:  # without the scorer package: the plain polar plot
        m.setitem(sys.modules, "affect_llm.scoring.affect", None)
        assert default_layout() is None

    plain = wheel_figure(["worried", "sad"], ["sad", "angry"], layout=None)
    texts = {t.get_text() for t in plain.axes[0].texts}
    assert {"worried", "sad", "angry"} <= texts

    class Broken:
        name = "broken layout"

        def tree(self):
            return {"x": ["y"]}

        def place(self, word):
            raise KeyError(word)

    fallback = wheel_figure(["happy"], [], layout=Broken())  # a failing layout never costs the answer
    assert "happy" in {t.get_text() for t in fallback.axes[0].texts}

    try:
        wheel = ScorerWheel()
    except Exception as exc:  # noqa: BLE001 - the scorer package is optional here
        pytest.skip(f"affect_llm.scoring has no usable emotion wheel ({exc})")
    assert wheel.place("worried")[0] == "scared"  # listed once in wheel 1: no WordNet needed
    assert wheel.place("happy")[0] == "happy"
    fig = wheel_figure(["happy", "worried"], ["surprised"], layout=wheel)
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"happy", "scared", "surprised"} <= labels and any(t.startswith("worried") for t in labels)


# --------------------------------------------------------------------------- the web demo in Chromium
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the demo exited with {proc.returncode}: {proc.stderr.read()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the demo did not answer on {url} within {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def demo_url(fast_model):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed: `apt-get install -y chromium` (.ci/run installs it)")
    pytest.importorskip("playwright", reason="pip install playwright (in the demo extra); "
                        "no `playwright install` needed, Debian's chromium is used")
    pytest.importorskip("gradio", reason="the demo extra is not installed: pip install -e '.[demo]'")
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen([sys.executable, "-m", "affect_llm", "chat", "--model", str(fast_model),
                             "--port", str(port), "--followup-tokens", "24"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_http(f"http://127.0.0.1:{port}/", proc, timeout_s=240)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def page(demo_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1500})
            page.set_default_timeout(30_000)
            page.goto(demo_url, wait_until="domcontentloaded")
            page.wait_for_selector("#explain")
            yield page
        finally:
            browser.close()


def _wait_status(page, text: str, timeout_s: float) -> str:
    page.wait_for_function("(t) => { const s = document.querySelector('#status');"
                           " return s && s.innerText.includes(t); }", arg=text, timeout=timeout_s * 1000)
    return page.locator("#status").inner_text()


def test_demo_in_chromium_example_clip_explanation_and_followup(page):
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_text("cheerful", exact=True).first.click()  # an example clip
    page.wait_for_selector("#clip video")
    page.locator("#subtitle textarea").fill("I just got the news, I passed! This is wonderful.")
    page.locator("#explain").click()
    _wait_status(page, "Done", timeout_s=240)
    conversation = page.locator("#conversation").inner_text()
    assert "In the video," in conversation and "Emotions:" in conversation
    assert "I passed! This is wonderful." in conversation  # the verbal part quotes the given words
    assert page.locator("#frames img").count() >= 8 and page.locator("#faces img").count() >= 8
    assert "decision" in page.locator("#cues").inner_text()
    page.wait_for_selector("#wheel img", timeout=120_000)

    page.locator("#question textarea").fill("why do you think she is happy?")
    page.locator("#ask").click()
    _wait_status(page, "Ask another question", timeout_s=240)
    conversation = page.locator("#conversation").inner_text()
    assert "why do you think she is happy?" in conversation
    reply = conversation.rsplit("why do you think she is happy?", 1)[1].strip()
    assert len(reply.split()) >= 3 and reply != "…"
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)


def test_demo_in_chromium_bad_upload_shows_the_reason(page, tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("this is a text file renamed to .mp4\n" * 10)
    page.locator("#clip input[type=file]").set_input_files(str(notes))
    page.wait_for_timeout(1500)
    page.locator("#explain").click()
    status = _wait_status(page, "Cannot use this clip", timeout_s=60)
    assert "notes.mp4 is a text file, not a video" in status
    page.screenshot(path=str(ARTIFACTS / "chat-bad-upload.png"))
