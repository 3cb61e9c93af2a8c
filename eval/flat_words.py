"""How much should words that show no emotion count? The fusion's rule 1b, measured.

Real acted speech says emotionally flat sentences in every emotion (RAVDESS: "Kids are talking by
the door.", "Dogs are sitting by the door."; EmoDB: ten everyday German sentences). Each clip's
voice evidence is fused with the words channel's reading of the clip's sentence in English, the
face absent, with the words' ``flat_weight`` (the share of their weight kept when they show no
emotion) set to each value in turn. Reported: first-named accuracy, on all clips and on each half
of the speakers, and how often the answer names neutral first.

The English of EmoDB's sentences is this project's own plain rendering (close to the corpus's
documented translations); a user's clip would get Whisper's translation, which is noisier.

Run: ``python eval/flat_words.py RAVDESS_DIR EMODB_DIR`` (any of the two; names as in
``eval/real_speech_eval.py``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from real_speech_eval import load_audio, read_items

RAVDESS_SENTENCES = {"01": "Kids are talking by the door.", "02": "Dogs are sitting by the door."}
EMODB_SENTENCES = {
    "a01": "The tablecloth is lying on the fridge.", "a02": "She will hand it in on Wednesday.",
    "a04": "Tonight I could tell him.", "a05": "The black sheet of paper is up there beside the piece of wood.",
    "a07": "In seven hours it will be time.", "b01": "What are those bags standing under the table?",
    "b02": "They just carried it upstairs and now they are going down again.",
    "b03": "At the weekends I always drove home and visited Agnes.",
    "b09": "I just want to take this away and then go for a drink with Karl.",
    "b10": "It will be in the place where we always put it.",
}
FLAT_WEIGHTS = (1.0, 0.5, 0.25, 0.0)


def sentence_of(path: Path) -> str | None:
    parts = path.stem.split("-")
    if len(parts) == 7:
        return RAVDESS_SENTENCES.get(parts[4])
    return EMODB_SENTENCES.get(path.stem[2:5])


def main(argv: list[str] | None = None) -> int:
    from dataclasses import replace

    import numpy as np

    from affect_llm.emotions import NEUTRAL
    from affect_llm.evidence import absent
    from affect_llm.evidence.fusion import fuse
    from affect_llm.evidence.voice import voice_evidence
    from affect_llm.evidence.words import words_evidence
    from affect_llm.perception import listen

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="+", type=Path)
    args = ap.parse_args(argv)
    print("| corpus | flat_weight | first-named | first / second half of speakers | named neutral |")
    print("|---|---|---|---|---|")
    for folder in args.folders:
        items = [it for it in read_items(folder, None) if sentence_of(it.path)]
        speakers = sorted({it.speaker for it in items})
        first_half = {s for s in speakers[: len(speakers) // 2]}
        clips = []
        for it in items:
            prosody, _ = listen(load_audio(it.path), 16_000)  # VAD, then prosody in its speech
            voice = voice_evidence(prosody, True, language=it.corpus_language or "en")
            clips.append((it, voice, words_evidence(sentence_of(it.path))))
        for fw in FLAT_WEIGHTS:
            right, neutral = [], 0
            for it, voice, words in clips:
                fusion = fuse({"face": absent("face", "no picture"), "voice": voice,
                               "words": replace(words, flat_weight=fw)})
                right.append(fusion.emotions[0] == it.label)
                neutral += fusion.emotions[0] == NEUTRAL
            ok, half = np.array(right), np.array([it.speaker in first_half for it, _, _ in clips])
            print(f"| {folder.name} ({len(clips)}) | {fw} | {ok.mean():.3f} | {ok[half].mean():.3f} / "
                  f"{ok[~half].mean():.3f} | {neutral} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
