"""The development corpus builder (``tests/devcorpus.py``) and its scorer (``eval/devcorpus_eval.py``).

A slice of four English clips is built for real (espeak-ng, ffmpeg, the face photos) and
decoded back through the product's own reader and face detector; the full corpus is checked
as specs only (building all ~90 clips takes about a minute). Accuracy on real pipeline output
is not asserted here: ``devcorpus_eval.evaluate`` is the helper for that.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import devcorpus as dc
import pytest

REPO = Path(__file__).resolve().parents[1]


def _eval_module():
    name = "devcorpus_eval"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "eval" / "devcorpus_eval.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


SLICE = ("en-angry-0-none", "en-angry-2-conflict", "en-happy-0-match", "en-sad-2-conflict")


@pytest.fixture(scope="module")
def slice_corpus(tmp_path_factory):
    missing = dc.missing_requirements()
    if missing:
        pytest.skip("cannot build clips: " + "; ".join(missing))
    specs = {s.id: s for s in dc.corpus_specs(["en"])}
    root = tmp_path_factory.mktemp("devcorpus")
    return dc.build_corpus(root, [specs[i] for i in SLICE])


def test_full_corpus_specs_cover_languages_labels_and_conditions():
    specs = dc.corpus_specs()
    assert len(specs) >= 70
    assert len({s.id for s in specs}) == len(specs)
    for lang in dc.LANGUAGES:
        mine = [s for s in specs if s.language == lang]
        assert {s.gold_label for s in mine} == set(dc.LABELS)
        assert {s.condition for s in mine} == {"face-none", "face-neutral", "face-match", "face-conflict",
                                               "voice-only"}
    from affect_llm.emotions import LABELS

    assert set(dc.LABELS) == set(LABELS)  # the corpus speaks the product's label set
    for s in specs:
        g = s.gold("x.mp4")
        if s.face_condition == "conflict":
            assert s.face_label not in (None, s.gold_label)
            assert g["conflict"]["labels"] == [s.face_label, s.gold_label]
        elif s.face_condition == "match":
            assert s.face_label == s.gold_label and g["conflict"] is None
        else:
            assert s.face_label == (None if s.face == "none" else "neutral")
        if s.condition == "voice-only":
            assert s.words_label == "neutral" and s.voice_label != "neutral" and not g["words_voice_agree"]
            assert g["label"] == s.voice_label
        else:
            assert s.words_label == s.voice_label == g["label"] and g["words_voice_agree"]


def test_translations_line_up_and_mandarin_is_spoken_from_pinyin():
    for label in dc.LABELS:
        en = dc.sentences("en", label)
        for lang in ("es", "zh"):
            other = dc.sentences(lang, label)
            assert [e for _, e, _ in other] == [t for t, _, _ in en]
    for text, _, spoken in dc.sentences("zh", "sad") + dc.flat_sentences("zh"):
        assert spoken and spoken.isascii() and not text.isascii()
        assert any(ch.isdigit() for ch in spoken)  # tone numbers


def test_limit_keeps_a_balanced_mix():
    specs = dc.corpus_specs(limit=12)
    assert len(specs) == 12
    assert Counter(s.language for s in specs) == {"en": 4, "es": 4, "zh": 4}
    assert len({s.gold_label for s in specs}) >= 4


def test_voice_profiles_move_in_the_documented_directions():
    p = dc.VOICE_PROFILES
    base = p["neutral"]
    assert p["sad"].pitch < base.pitch and p["sad"].speed < base.speed and p["sad"].amplitude < base.amplitude
    assert p["angry"].amplitude > p["happy"].amplitude > base.amplitude
    assert p["fearful"].speed == max(v.speed for v in p.values())
    assert p["surprised"].range == max(v.range for v in p.values())
    assert p["disgusted"].pitch < base.pitch and p["disgusted"].speed < base.speed
    assert p["sad"].ssml("a & b").startswith('<speak><prosody range="20">a &amp; b')


def test_slice_gold_and_manifest(slice_corpus):
    manifest = [json.loads(x) for x in slice_corpus.manifest.read_text().splitlines()]
    gold = {g["id"]: g for g in slice_corpus.gold_records()}
    assert [m["id"] for m in manifest] == list(SLICE)
    for m in manifest:
        assert set(m) == {"id", "video"} and (slice_corpus.root / m["video"]).is_file()
    assert gold["en-angry-0-none"]["face"] == "none" and gold["en-angry-0-none"]["conflict"] is None
    assert gold["en-angry-2-conflict"]["conflict"] == {"modalities": ["face", "voice", "words"],
                                                       "labels": ["happy", "angry"]}
    assert gold["en-sad-2-conflict"]["face_label"] == "happy" and gold["en-sad-2-conflict"]["conflict"]["labels"] \
        == ["happy", "sad"]
    assert gold["en-happy-0-match"]["face_label"] == "happy"
    assert gold["en-angry-0-none"]["sentence"] == dc.sentences("en", "angry")[0][0]
    assert all(g["voice_profile"]["espeak_args"][:2] == ["-v", "en-us"] for g in gold.values())


def test_slice_is_cached(slice_corpus):
    again = dc.build_corpus(slice_corpus.root, slice_corpus.specs)
    assert again.built == 0
    assert again.manifest.read_text() == slice_corpus.manifest.read_text()


def test_slice_clips_decode_with_the_planted_face_and_speech(slice_corpus):
    from affect_llm.encoders.expression import load_expression_model, read_faces
    from affect_llm.media.clip import read_clip
    from affect_llm.media.faces import detect_faces

    model = load_expression_model()
    for g in slice_corpus.gold_records():
        clip = read_clip(slice_corpus.root / g["video"], num_frames=6)
        assert clip.audio is not None and len(clip.audio) > 16000  # a second or more of speech
        track = detect_faces(clip.frames)
        if g["face"] == "none":
            assert not track.found.any(), g["id"]
            continue
        assert track.found.mean() >= 0.8, g["id"]
        probs = read_faces(clip.frames, track)[track.found]  # the crops perceive reads
        read = Counter(model.top(probs))
        from affect_llm.emotions import EXPRESSION_TO_LABEL

        assert EXPRESSION_TO_LABEL[read.most_common(1)[0][0]] == g["face_label"], (g["id"], read)


def test_evaluate_counts_accuracy_ablations_and_conflicts():
    ev = _eval_module()
    gold = [s.gold(f"{s.id}.mp4") for s in dc.corpus_specs(["en"])]
    results = []
    for i, g in enumerate(gold):
        named = g["label"] if i % 2 == 0 else "neutral"
        cues = {"evidence": {"voice": {"reliability": 0.5, "top": [[g["voice_label"], 0.4]]},
                             "face": {"reliability": 0.0, "top": [["neutral", 0.14]]}},
                "fusion": {"ranked": [[named, 0.5]], "conflicts": []}}
        text = f"The person sounds {named}."
        if g["conflict"]:
            cues["fusion"]["conflicts"] = [{"modalities": ["face", "words"], "labels": g["conflict"]["labels"]}]
            text = f"The face looks {g['face_label']}, but the words are {g['label']}."
        results.append({"id": g["id"], "emotions": [named], "explanation": text, "cues": cues})
    results[1] = {"id": gold[1]["id"], "error": "boom", "stage": "perceive"}
    rep = ev.evaluate(results, gold)
    expected = sum(1 for i, g in enumerate(gold) if i != 1 and (i % 2 == 0 or g["label"] == "neutral"))
    assert rep["first_named"]["overall"] == {"n": len(gold), "correct": expected,
                                             "accuracy": round(expected / len(gold), 3)}
    assert rep["errors"] == 1
    assert rep["modalities"]["voice"]["vs_planted"]["accuracy"] == 1.0
    assert rep["modalities"]["face"]["present"] == 0
    planted = sum(1 for i, g in enumerate(gold) if g["conflict"] and i != 1)
    assert rep["conflicts"]["fusion_named_n"] == planted == rep["conflicts"]["fusion_named_exact_n"]
    assert rep["conflicts"]["explanation_with_contrast_n"] == planted
    assert rep["faithfulness"]["available"] in (True, False)
    assert "# Development corpus" in ev.render_markdown(rep, {"title": "t"})


def test_conflict_match_reads_the_face_side_of_grouped_conflicts():
    ev = _eval_module()
    face_happy = {"modalities": ["face", "voice", "words"], "labels": ["happy", "angry"],
                  "groups": [["face"], ["voice", "words"]]}
    voice_happy = {"modalities": ["voice", "face", "words"], "labels": ["happy", "angry"],
                   "groups": [["voice"], ["face", "words"]]}
    assert ev.conflict_named([face_happy], "happy", "angry") == (True, True)
    assert ev.conflict_named([voice_happy], "happy", "angry") == (False, False)
    assert ev.conflict_named([face_happy], "happy", "sad") == (True, False)
    assert ev.conflict_named([], "happy", "angry") == (False, False)


def test_a_planted_conflict_is_perceived_only_when_face_and_words_each_clearly_show_an_emotion():
    ev = _eval_module()

    from affect_llm.evidence import ModalityEvidence
    from affect_llm.evidence.fusion import fuse

    def record(face: dict, words: dict) -> dict:  # as the pipeline saves it: the evidence, and its fusion
        evidence = {"face": face, "words": words}
        fusion = fuse({m: ModalityEvidence.from_dict({"modality": m, **d}) for m, d in evidence.items()})
        return {"cues": {"evidence": evidence, "fusion": fusion.to_dict()}}

    smile = {"reliability": 0.8, "scores": {"happy": 0.65, "neutral": 0.06, "sad": 0.05}}
    angry_words = {"reliability": 0.6, "scores": {"angry": 0.62, "fearful": 0.1, "neutral": 0.05}}
    not_understood = {"reliability": 0.0, "scores": {"angry": 0.62, "fearful": 0.1}}
    unclear_face = {"reliability": 0.8, "scores": {"fearful": 0.24, "happy": 0.22, "angry": 0.2}}
    fear_or_sadness = {"reliability": 0.8, "scores": {"fearful": 0.29, "sad": 0.26, "angry": 0.2}}  # rule 4b
    calm_words = {"reliability": 0.6, "scores": {"neutral": 0.6, "happy": 0.1}}

    assert ev.perceived_sides(record(smile, angry_words)) == (("happy", "angry"), "")
    assert ev.perceived_sides(record(smile, not_understood))[0] is None
    assert "words" in ev.perceived_sides(record(smile, not_understood))[1]
    assert "face" in ev.perceived_sides(record(unclear_face, angry_words))[1]
    assert ev.perceived_sides(record(fear_or_sadness, angry_words)) == (("fearful", "angry"), "")
    assert "neutral" in ev.perceived_sides(record(smile, calm_words))[1]
    assert ev.perceived_sides(record(smile, {"reliability": 0.6, "scores": smile["scores"]}))[0] is None


def test_pipeline_on_the_slice_names_the_spoken_emotion_the_conflict_and_invents_nothing(slice_corpus, tmp_path):
    """The product on the four built clips (angry, happy and sad words and voices, two with a face
    that contradicts them): the first emotion is the one words and voice carry, every planted conflict is
    reported, and the explanations pass the faithfulness checker. A small slice of `make devcorpus`."""
    ev = _eval_module()
    rep = ev.infer_and_evaluate(slice_corpus, output=tmp_path / "out.jsonl", infer_args=["--workers", "1"])
    assert rep["errors"] == 0
    assert rep["first_named"]["words_voice_agree"]["accuracy"] >= 0.75  # 3 of 4 at least
    conflicts = rep["conflicts"]
    assert conflicts["planted"] == 2 and conflicts["fusion_named_n"] == 2
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    from affect_llm.faithfulness import faithfulness_report

    faith = faithfulness_report(records)
    assert faith["records"] == 4 and faith["faults"] == 0, faith["per_record"]
