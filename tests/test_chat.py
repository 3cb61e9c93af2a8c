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
from types import SimpleNamespace

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
                stdin="why do you think she is happy?\nquit\nIs she sad?\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "== cheerful" in out and "words (whisper):" in out  # transcribed: the real default path
    assert "In the video," in out and "Based on these clues" in out  # the streamed explanation, finished
    assert "emotions: " in out
    assert "you> why do you think she is happy?" in out
    reply = out.split("affect-llm> ", 1)[1].strip()
    assert len(reply.split()) >= 3, out
    assert "you> quit" not in out and "Is she sad?" not in out  # a bare "quit" ends it, as /quit does


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


# --------------------------------------------------------------------------- text fields over the limit
def test_tui_refuses_an_over_long_subtitle_before_any_work(example_clips, capsys):
    from affect_llm.cli.main import main
    from affect_llm.media.subtitle import MAX_FIELD_CHARS

    start = time.monotonic()
    code = main(["chat", "--tui", str(example_clips["cheerful"]), "--subtitle", "x" * (MAX_FIELD_CHARS + 1)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"{MAX_FIELD_CHARS + 1:,} characters" in lines[0] and f"{MAX_FIELD_CHARS:,}" in lines[0]
    assert time.monotonic() - start < 5  # refused before decoding the clip or loading a model


def test_conversation_refuses_an_over_long_question_and_cuts_a_long_one():
    from affect_llm.demo.conversation import Conversation
    from affect_llm.errors import InputError
    from affect_llm.media.subtitle import MAX_FIELD_CHARS, MAX_WORDS

    class Recorder:  # the model's side of a follow-up: records what reached it
        def __init__(self):
            self.questions: list[str] = []

        def followup(self, perception, answer, history, question, max_new_tokens=96):
            self.questions.append(question)
            return "reply"

    model = Recorder()
    conv = Conversation(perception=SimpleNamespace(clip_id="clip"), answer=object())
    with pytest.raises(InputError, match=f"{MAX_FIELD_CHARS:,}-character limit"):
        conv.ask(model, "why? " * (MAX_FIELD_CHARS // 5 + 1))
    assert model.questions == [] and conv.history == []
    conv.ask(model, "why " * 500)  # 2,000 characters: accepted, cut to the prompt's word budget
    assert len(model.questions[0].split()) == MAX_WORDS + 1 and model.questions[0].endswith(" ...")
    assert conv.history == [(model.questions[0], "reply")]


# --------------------------------------------------------------------------- uploads do not outlive the session
def test_session_files_delete_an_upload_once_no_session_holds_it(tmp_path):
    from affect_llm.demo.session_files import SessionFiles

    uploads = tmp_path / "gradio"
    shared = uploads / "hash1" / "clip.mp4"  # two visitors who sent the same bytes share this path
    other = uploads / "hash2" / "other.mp4"
    kept = uploads / "hash3" / "example.mp4"  # Gradio's cached example clip, kept for every visitor
    outside = tmp_path / "examples" / "cheerful.mp4"
    for f in (shared, other, kept, outside):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"video")
    files = SessionFiles(uploads, keep=lambda: [str(kept)])
    files.hold("a", shared)
    files.hold("b", shared)
    files.release("a")
    assert shared.exists()  # b still uses it
    files.hold("b", other)  # b explains another clip: the previous one goes
    assert not shared.exists() and not shared.parent.exists()
    files.hold("c", outside)  # an example clip outside the upload folder is never tracked
    files.hold("d", kept)
    files.release_all()
    assert not other.exists() and outside.exists() and kept.exists()
    assert files.held() == {}


@pytest.mark.filterwarnings("ignore:the subtitle is:UserWarning")  # gr.Warning outside a request
def test_demo_deletes_a_visitors_upload_when_their_session_ends(example_clips, fast_model, tmp_path, monkeypatch):
    """The demo's own functions, as Gradio calls them: explain with an upload, then the
    ``unload`` event of the visitor's tab; then the shutdown clean-up."""
    gr = pytest.importorskip("gradio", reason="the demo extra is not installed: pip install -e '.[demo]'")
    from affect_llm.demo.app import CACHE_SWEEP_S, STATE_TTL_S, build_demo, close, launch
    from affect_llm.media.subtitle import MAX_FIELD_CHARS
    from affect_llm.models import load_model

    uploads = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    first, second = uploads / "h1" / "cheerful.mp4", uploads / "h2" / "angry.mp4"
    for f, name in ((first, "cheerful"), (second, "angry")):
        f.parent.mkdir(parents=True)
        shutil.copy(example_clips[name], f)
    demo = build_demo(model=load_model(str(fast_model)), examples=[example_clips["silent"]], wheel=None)
    assert demo.delete_cache == (CACHE_SWEEP_S, STATE_TTL_S)  # Gradio's sweep of what it wrote
    (example,) = uploads.rglob("silent.mp4")  # Gradio's cached copy of the example, for every visitor
    explain = next(f.fn for f in demo.fns.values() if f.api_name == "perceive")
    unload = next(f.fn for f in demo.fns.values() if any(t[1] == "unload" for t in f.targets))
    visitor, other = gr.Request(session_hash="visitor"), gr.Request(session_hash="other")

    # An over-long subtitle is refused before any work (no decoding: the status says why) ...
    status, *_, state = list(explain(str(first), "x" * (MAX_FIELD_CHARS + 1), visitor))[-1]
    assert "Cannot use this clip" in status and "character limit" in status and state is None
    # ... and the upload is the visitor's all the same: their next clip replaces it ...
    list(explain(str(second), "y" * (MAX_FIELD_CHARS + 1), visitor))
    assert not first.exists() and second.exists()
    list(explain(str(second), "y" * (MAX_FIELD_CHARS + 1), other))  # same bytes, another visitor
    unload(visitor)  # the visitor closes the tab
    assert second.exists()  # still the other visitor's
    unload(other)
    assert not second.exists() and not second.parent.exists()
    list(explain(str(example), "y" * (MAX_FIELD_CHARS + 1), visitor))  # an example clip ...
    unload(visitor)
    assert example.exists()  # ... is not the visitor's to delete

    # Shutdown: what visitors still hold and what Gradio wrote (its upload set) is deleted.
    left, written = uploads / "h3" / "left.mp4", uploads / "h4" / "frame.webp"
    for f in (left, written):
        f.parent.mkdir(parents=True)
        f.write_bytes(b"x")
    list(explain(str(left), "z" * (MAX_FIELD_CHARS + 1), visitor))
    demo.upload_file_set.add(str(written))
    launch(demo, port=_free_port(), block=False)
    close(demo)
    assert not left.exists() and not written.exists()


def test_demo_explains_a_sound_recording(media_dir, make_examples, fast_model, tmp_path, monkeypatch):
    """A voice recording (.wav) in the demo's sound box: through the same ``explain`` as a video,
    wired as Gradio calls it, to an answer that says the recording is sound only; the page says
    what it accepts, and filling one box empties the other."""
    gr = pytest.importorskip("gradio", reason="the demo extra is not installed: pip install -e '.[demo]'")
    from gradio.helpers import special_args

    from affect_llm.demo.app import build_demo
    from affect_llm.models import load_model

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    words = "I waited all day and nobody called me back."
    wav = tmp_path / "voicemail.wav"
    make_examples.synthesize(words, ["-v", "en-us"], wav)
    demo = build_demo(model=load_model(str(fast_model)), examples=[], wheel=None)
    by_id = {getattr(b, "elem_id", None): b for b in demo.blocks.values()}
    intro = by_id["intro"].value
    assert "sound recording" in intro and ".wav" in intro and ".mp3" in intro and ".mp4" in intro
    assert isinstance(by_id["sound"], gr.Audio) and isinstance(by_id["clip"], gr.Video)

    perceive = next(f for f in demo.fns.values() if f.api_name == "perceive")
    stream = next(f.fn for f in demo.fns.values() if f.api_name == "explain")
    assert [b.elem_id for b in perceive.inputs] == ["clip", "subtitle", "sound"]
    # the arguments as Gradio builds them: the video box empty, the request put in its place
    args, *_ = special_args(perceive.fn, [None, words, str(wav)], gr.Request(session_hash="listener"))
    steps = list(perceive.fn(*args))
    assert "voicemail.wav" in steps[0][0]  # the status while reading
    status, frames, faces, cues, _, _, conv = steps[-1]
    assert conv is not None, status
    assert "sound only" in status  # said once the file is read, not guessed from its suffix
    assert frames == [] and faces == [] and "sound only" in cues
    *_, last = [step for step in stream(conv) if isinstance(step[0], list)]
    answer = last[0][0]["content"]
    assert "Visually, there is nothing to see, since the recording is sound only" in answer
    assert "**Emotions:**" in answer and conv.answer.emotions

    # a video container holding sound alone is announced as sound only too, once read
    voice_mp4 = tmp_path / "voice.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", str(voice_mp4)], check=True)
    args, *_ = special_args(perceive.fn, [str(voice_mp4), words, None], gr.Request(session_hash="viewer"))
    status = list(perceive.fn(*args))[-1][0]
    assert "sound only" in status, status

    clears = {(f.inputs[0].elem_id, f.outputs[0].elem_id): f.fn for f in demo.fns.values()
              if len(f.inputs) == 1 and len(f.outputs) == 1 and f.api_visibility == "private"}
    assert clears[("sound", "clip")](str(wav)) is None  # a recording empties the video box ...
    assert clears[("clip", "sound")]("clip.mp4") is None  # ... and a video the sound box
    assert clears[("sound", "clip")](None) == gr.skip()  # an emptied box changes nothing


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
def gradio_temp(tmp_path_factory) -> Path:
    """Where the demo under test keeps uploads (``GRADIO_TEMP_DIR``), so tests can watch them go."""
    return tmp_path_factory.mktemp("gradio-temp")


@pytest.fixture(scope="module")
def demo_url(fast_model, gradio_temp):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed: `apt-get install -y chromium` (.ci/run installs it)")
    pytest.importorskip("playwright", reason="pip install playwright (in the demo extra); "
                        "no `playwright install` needed, Debian's chromium is used")
    pytest.importorskip("gradio", reason="the demo extra is not installed: pip install -e '.[demo]'")
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", GRADIO_TEMP_DIR=str(gradio_temp))
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


def test_demo_in_chromium_bad_upload_shows_the_reason(page, tmp_path, gradio_temp):
    notes = tmp_path / "notes.mp4"
    notes.write_text("this is a text file renamed to .mp4\n" * 10)
    page.locator("#clip input[type=file]").set_input_files(str(notes))
    page.wait_for_timeout(1500)
    page.locator("#explain").click()
    status = _wait_status(page, "Cannot use this clip", timeout_s=60)
    assert "notes.mp4 is a text file, not a video or a sound recording" in status
    page.screenshot(path=str(ARTIFACTS / "chat-bad-upload.png"))
    uploaded = list(gradio_temp.rglob("notes.mp4"))
    assert len(uploaded) == 1  # Gradio's copy of the upload, on the server
    page.close()  # the visitor leaves: their session ends and their upload goes
    deadline = time.monotonic() + 30
    while uploaded[0].exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not uploaded[0].exists()
