"""Shared fixtures: a small media corpus built once per test session in a temp dir.

Clips are synthesised with ``examples/make_examples.py`` (scikit-image photos, espeak-ng speech,
ffmpeg encoding) rather than checked in, so every edge case is cheap to add and the repository
stays small. Tests that need the corpus are skipped, with the reason, when ffmpeg or espeak-ng
is missing (``apt-get install -y ffmpeg espeak-ng``; ``.ci/run`` installs them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

# As the CLI does (affect_llm/cli/main.py): OpenMP waiters sleep, so the test process and the CLI
# processes it starts do not spin against each other on CI's two cores. Before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def _load_make_examples():
    """``examples/`` is not a package; load the generator script as a module by path."""
    name = "affect_llm_make_examples"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def make_examples():
    """The ``examples/make_examples.py`` module (``make_clip``, ``make_bad_inputs``, texts, voices)."""
    return _load_make_examples()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory, make_examples) -> Path:
    missing = make_examples.missing_tools()
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: `apt-get install -y ffmpeg espeak-ng` "
                    f"to run the media tests")
    pytest.importorskip("skimage", reason="scikit-image provides the face photo (pip install scikit-image)")
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def good_clip(media_dir, make_examples) -> Path:
    """Astronaut photo (a smiling frontal face) with cheerful espeak-ng speech, 256x256 at 12 fps."""
    m = make_examples
    return m.make_clip(media_dir / "good.mp4", m.astronaut(), m.CHEERFUL_TEXT, m.CHEERFUL_VOICE,
                       None, 256, 12, preset="ultrafast")


@pytest.fixture(scope="session")
def silent_clip(media_dir, make_examples) -> Path:
    """Astronaut photo, 2 s, and no audio track at all."""
    m = make_examples
    return m.make_clip(media_dir / "silent.mp4", m.astronaut(), None, [], 2.0, 256, 12, preset="ultrafast")


@pytest.fixture(scope="session")
def noface_clip(media_dir, make_examples) -> Path:
    """A colour gradient (nothing face-like) with angry espeak-ng speech."""
    m = make_examples
    return m.make_clip(media_dir / "noface.mp4", m.gradient_image(256, 256), m.ANGRY_TEXT, m.ANGRY_VOICE,
                       None, 256, 12, preset="ultrafast")


@pytest.fixture(scope="session")
def huge_clip(media_dir, make_examples) -> Path:
    """Two 4000x3000 frames of the astronaut's face (1 s at 2 fps): cheap, but over any size limit."""
    m = make_examples
    face_4x3 = m.astronaut()[0:300, 75:475]  # a 4:3 region with the face in the middle
    return m.make_clip(media_dir / "huge.mp4", face_4x3, None, [], 1.0, (4000, 3000), 2,
                       preset="ultrafast")


@pytest.fixture(scope="session")
def bad_inputs(media_dir, make_examples) -> dict[str, Path]:
    """Every bad input ``make_bad_inputs`` writes, by name."""
    return make_examples.make_bad_inputs(media_dir / "bad")


@pytest.fixture(scope="session")
def zero_byte(bad_inputs) -> Path:
    return bad_inputs["zero_byte"]


@pytest.fixture(scope="session")
def truncated_mp4(bad_inputs) -> Path:
    """The first 40 % of the bytes of a good (faststart) mp4."""
    return bad_inputs["truncated_mp4"]


@pytest.fixture(scope="session")
def text_as_mp4(bad_inputs) -> Path:
    return bad_inputs["text_as_mp4"]


@pytest.fixture(scope="session")
def audio_only(bad_inputs) -> Path:
    """A real mp4 made by ffmpeg holding only an AAC track."""
    return bad_inputs["audio_only"]


@pytest.fixture(scope="session")
def missing_path(bad_inputs) -> Path:
    return bad_inputs["missing_path"]


@pytest.fixture(scope="session")
def example_clips() -> dict[str, Path]:
    """The committed demo clips in ``examples/`` (decoding them needs no ffmpeg binary)."""
    clips = {name: EXAMPLES / f"{name}.mp4" for name in ("cheerful", "angry", "silent")}
    absent = [str(p) for p in clips.values() if not p.exists()]
    if absent:
        pytest.skip(f"example clips missing ({', '.join(absent)}): run `make examples`")
    return clips


@pytest.fixture(scope="session")
def fast_model(tmp_path_factory) -> Path:
    """The default model with short answers: same code path, less CPU per clip."""
    folder = tmp_path_factory.mktemp("fast-model")
    (folder / "config.json").write_text(json.dumps(
        {"affect_llm": {"architecture": "textualized", "llm": "smollm2", "max_new_tokens": 16}}))
    return folder


@pytest.fixture(scope="module")
def tiny_llm(tmp_path_factory):
    """A tiny random Llama folder (AffectGPT model, reproduce and convert tests), one per module."""
    from affect_llm.models.affectgpt.tiny import make_tiny_llm

    return make_tiny_llm(tmp_path_factory.mktemp("llm") / "tiny-llama")
