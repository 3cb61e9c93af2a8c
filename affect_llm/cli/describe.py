"""``affect-llm describe CLIP``: explain the emotions in one clip."""

from __future__ import annotations

import argparse
import json
import sys
import time

from .options import add_perception_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "describe",
        help="explain which emotions a person in a clip shows, and why",
        description="Decode a clip, read the face, voice and words, and explain the emotions "
        "shown, citing visual, acoustic and verbal clues.",
        epilog="examples:\n"
        "  affect-llm describe examples/cheerful.mp4\n"
        "  affect-llm describe clip.mp4 --subtitle \"Leave me alone.\" --frames 16\n"
        "  affect-llm describe clip.mp4 --model ./my-finetuned-model --json\n"
        "  affect-llm describe interview.wav          # sound only: voice and words, no face\n\n"
        "Words come from --subtitle, else a sidecar CLIP.srt / CLIP.txt, else Whisper (base: any\n"
        "language, translated to English; a transcript it is unsure of is never quoted, and a word\n"
        "heard with doubt is shown as (word?), never as said). Given\n"
        "words in another language are quoted as given; the speech's English, when Whisper hears\n"
        "those words in it, is read too but never quoted.\n"
        "The emotions are decided from the face, voice and words evidence (see the report's\n"
        "Evidence table); the LLM only writes, and every sentence is checked against the cues.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("clip", help="video file (mp4, mkv, avi, webm, ...) or sound recording (wav, mp3, flac, ...)")
    p.add_argument("--subtitle", metavar="TEXT", help="what the person says, in any language (skips "
                   "transcription; cut to 120 words)")
    add_perception_options(p)
    p.add_argument("--question", choices=["description", "labels"], default="description",
                   help="what to ask a trained AffectGPT folder: its reasoning (default) or the list of "
                   "emotions (upstream's two questions)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    p.set_defaults(run=run)


def describe_one(args: argparse.Namespace) -> dict:
    """Perceive and answer one clip; returns the JSON-able result."""
    from ..models import load_model
    from ..models.questions import ask, check_question
    from ..perception import perceive
    from ..results import result_record
    from .options import perceive_options

    start = time.perf_counter()
    model = load_model(args.model)  # lazy: the LLM itself loads below
    check_question(model, args.question)  # before the clip is decoded
    options = perceive_options(args, args.subtitle)
    perception = perceive(args.clip, options)
    t0 = time.perf_counter()
    model.load()  # now, so its time is reported apart from generation
    t1 = time.perf_counter()
    answer = ask(model, [perception], args.question)[0]
    t2 = time.perf_counter()
    timings = dict(perception.timings, model_load_s=round(t1 - t0, 4), generate_s=round(t2 - t1, 4),
                   total_s=round(t2 - start, 4))
    return result_record(perception, answer, model.name, timings)


def render(result: dict) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from ..cues import face_halves, which_face

    console = Console()
    cues = result["cues"]
    console.print(Panel(result["explanation"], title=f"[bold]{result['id']}[/] — explanation",
                        subtitle=f"model: {result['model']}"))
    fusion = cues.get("fusion") or {}
    conf = f" (confidence {fusion['confidence']:.2f})" if "confidence" in fusion else ""
    console.print(f"[bold]Emotions:[/] {', '.join(result['emotions'])}{conf}")
    if fusion.get("summary"):
        console.print(f"[bold]Agreement:[/] {fusion['summary']}")
    evidence = Table(title="Evidence (each channel's top labels; weight = reliability, × its share in the pool "
                           "when less)", box=None)
    for col in ("channel", "weight", "top labels", "measured"):
        evidence.add_column(col)
    face, voice = cues["face"], cues["voice"]
    measured = {
        "face": (f"{face['frames_with_face']}/{face['frames']} frames, mostly {face['dominant']}"
                 + face_halves(face)
                 + ("; mouth still while speech is heard" if _still_while_speaking(cues) else "")
                 + (f"; {which}" if (which := which_face(face.get("people"), face.get("chosen_by"))) else ""))
        if face["found"] else "no face",
        "voice": _voice_line(voice),
        "words": _words_line(cues),
    }
    for name in ("face", "voice", "words"):
        ev = (cues.get("evidence") or {}).get(name)
        if ev is None:
            continue
        top = ", ".join(f"{lab} {p:.2f}" for lab, p in ev["top"]) if ev["reliability"] > 0 else "—"
        share = f" × {ev['pool_share']:g}" if ev.get("pool_share", 1.0) != 1.0 else ""  # fusion rule 1c
        evidence.add_row(name, f"{ev['reliability']:.2f}{share}", top, measured[name])
    evidence.add_row("[bold]fused[/]", "", ", ".join(f"{lab} {p:.2f}" for lab, p in fusion.get("ranked", [])[:3]), "")
    console.print(evidence)
    if cues["missing"]:
        console.print(f"[bold]Missing:[/] {', '.join(cues['missing'])}")
    clip = cues["clip"]
    console.print(f"[dim]clip: {clip['summary']}[/]")
    grounding = result.get("grounding") or {}
    if grounding:
        console.print("[dim]sentences: " + ", ".join(f"{k} {v}" for k, v in grounding.items()) + "[/]")
    t = result["timings"]
    console.print("[dim]timings: " + ", ".join(f"{k[:-2]} {v:.2f}s" for k, v in t.items()) + "[/]")


def _still_while_speaking(cues: dict) -> bool:
    """The face weighed less because its mouth did not move while speech was heard (``evidence.face``)."""
    return bool(((cues.get("evidence") or {}).get("face") or {}).get("detail", {}).get("still_while_speaking"))


def _voice_line(voice: dict) -> str:
    """The voice shows arousal (fusion rule 5): its energy first, then what was measured."""
    from ..cues import VoiceCues

    if not voice["audio_track"]:
        return "no audio track"
    if not voice["speech_found"]:
        return "no clear speech"
    if voice.get("tone_measured") is False:
        return f"speech heard; {VoiceCues.PITCH_UNTRACKED}, so the tone was not measured"
    arousal = (voice.get("prosody") or {}).get("arousal")
    brief = VoiceCues.briefly_measured(voice)  # then the phrases are said of that stretch only
    measured = [f"{brief}: " + "; ".join(voice["phrases"])] if brief else voice["phrases"]
    return "; ".join(([f"{arousal} energy"] if arousal else []) + measured)


def _words_line(cues: dict) -> str:
    from ..cues import ROUGH_NOTE, rough_translation

    words = cues["words"]
    lang = f" [{words['language']}]" if words.get("language") else ""
    if words.get("subtitle"):
        line = f"\"{words['subtitle']}\" ({cues['subtitle_source']}){lang}"
        if words.get("translation"):
            use = rough_translation(words)
            line += f" → \"{words['translation']}\"" + (f" ({ROUGH_NOTE[use]})" if use else "")
        elif words.get("doubtful") and words.get("second_opinion"):  # the channel read both hearings
            line += f"; a second model heard \"{words['second_opinion']}\""
        detail = ((cues.get("evidence") or {}).get("words") or {}).get("detail") or {}
        if detail.get("own_words"):  # evidence.own_words: the emotion words read in the speaker's language
            line += "; emotion words: " + ", ".join(f"{w} ({lab})" for w, lab in detail["own_words"]["found"])
        if detail.get("turn"):  # evidence.words.turn_of: one emotion said plainly, then another
            line += " ({} → {})".format(*detail["turn"])
        return line
    if words.get("heard"):
        given = [r for r in (words.get("reliability") or {}).get("reasons") or [] if "language was given" in r]
        return f"not understood reliably{lang} (heard: \"{words['heard']}\")" + (f"; {given[0]}" if given else "")
    return "none"


def run(args: argparse.Namespace) -> int:
    if args.json:
        result = describe_one(args)
        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    from rich.console import Console

    with Console(stderr=True).status(f"describing {args.clip} ..."):
        result = describe_one(args)
    render(result)
    return 0
