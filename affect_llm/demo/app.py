"""The chat demo (Gradio): a clip in; frames, faces, words, cues, a streamed explanation, follow-ups.

A clip is a video or a sound recording (.wav, .mp3, ...): two upload boxes, one for each, since
the video box's file picker offers only videos and a recording needs a player, not a screen;
whichever was filled last is the clip, and both go through the same ``explain`` (a recording is
then read without a picture, as ``describe`` reads one).

It is the ``describe`` pipeline behind a browser page, with nothing demo-only in between:
``perceive`` reads the clip, ``model.answer_stream`` (the same generation as ``model.answer``)
writes the explanation token by token, and ``model.followup`` answers questions about the same
clip. The clip's ``Perception`` and the ``Answer`` live in a ``gr.State`` (a ``Conversation``),
so follow-ups never decode the clip again.

Uploads are bounded (``affect_llm.uploads``): Gradio refuses a file over the size limit as it
arrives, and the handler checks type, size and duration before any decoding, showing the
one-line reason in the page; so is a subtitle or question over ``MAX_FIELD_CHARS``. The LLM
events share one queue slot (``concurrency_id="llm"``), so one model serves every visitor without
two generations fighting over the CPU. The model is any ``EmotionModel`` (``models/protocol.py``).

Nothing a visitor sends outlives their use of it: their upload is deleted when they explain
another clip and when their session ends (``SessionFiles``, on Gradio's ``unload`` event), and
Gradio's cache clean-up (``delete_cache``) removes what else it wrote for them (frames, face
crops) after ``STATE_TTL_S``, and everything when the server stops (``close``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ..cues import ROUGH_NOTE, VoiceCues, face_halves, rough_translation, which_face
from ..errors import InputError
from ..perception import PerceiveOptions, perceive
from ..uploads import UploadLimits, check_upload
from .conversation import DEFAULT_FOLLOWUP_TOKENS, Conversation, check_text_field
from .session_files import SessionFiles
from .wheel import WheelLayout, default_layout, wheel_figure

if TYPE_CHECKING:
    from ..models.protocol import EmotionModel

log = logging.getLogger(__name__)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
# Per-visitor state (a Perception holds the sampled frames and the audio): dropped after an hour.
STATE_TTL_S = 3600
# How often Gradio's cache clean-up runs; it deletes the files it wrote that are older than STATE_TTL_S.
CACHE_SWEEP_S = 300

CSS = """
#status {min-height: 1.6em}
#conversation .message {font-size: 0.95rem}
footer {display: none !important}
"""

_DEFAULT_LAYOUT = object()  # "use default_layout()" (None means the plain polar plot)


def find_examples(folder: Path = EXAMPLES_DIR) -> list[Path]:
    """The example clips of a source checkout (``examples/*.mp4``); none in a wheel install."""
    return sorted(folder.glob("*.mp4")) if folder.is_dir() else []


def _model_view(p: Any) -> Any:
    """The faces as the expression model reads them: each frame's detected box, cut as
    ``encoders.expression.read_faces`` cuts it (the first of its margins)."""
    from ..encoders.expression import CROP_MARGINS, CROP_SIDE
    from ..media.faces import crop_faces

    if not len(p.clip.frames):
        return []
    return crop_faces(p.clip.frames, p.faces.boxes, CROP_SIDE, CROP_MARGINS[0])


def _md_escape(text: str) -> str:
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text


def cues_markdown(p: Any) -> str:
    """The evidence the model gets, as a short Markdown table (the transcript first)."""
    cues = p.cues_dict()
    face, voice, words, clip = cues["face"], cues["voice"], cues["words"], cues["clip"]
    source = {"user": "given", "whisper": "transcribed by Whisper", "sidecar-srt": "from the .srt file",
              "sidecar-txt": "from the .txt file"}.get(p.subtitle_source, p.subtitle_source)
    lines = [f"**Transcript** ({source}): " + (f"“{_md_escape(p.subtitle)}”" if p.subtitle else "*none*"), "",
             "| cue | evidence |", "|---|---|"]
    face_text = f"{face['frames_with_face']}/{face['frames']} frames"
    if face["found"]:
        face_text += f", mostly **{face['dominant']}**{face_halves(face)}"
        which = which_face(face.get("people"), face.get("chosen_by"))
        face_text += f"; {which}" if which else ""
    lines.append(f"| face | {face_text} |")
    if voice["speech_found"]:
        voice_text = "; ".join(voice["phrases"]) or f"speech heard; {VoiceCues.PITCH_UNTRACKED}"
        brief = VoiceCues.briefly_measured(voice)  # the phrases are said of that stretch only
        voice_text = f"{brief}: {voice_text}" if brief else voice_text
    else:
        voice_text = "no audio track" if not voice["audio_track"] else "no clear speech"
    lines.append(f"| voice | {_md_escape(voice_text)} |")
    if words.get("translation"):
        use = rough_translation(words)
        rough = f"; {ROUGH_NOTE[use]}" if use else ""
        lines.append(f"| words in English | “{_md_escape(words['translation'])}” ({words.get('language')}{rough}) |")
    elif words.get("heard"):
        lines.append("| words | speech heard but not understood reliably: not used |")
    for name, ev in (cues.get("evidence") or {}).items():
        if ev["reliability"] > 0:
            top = ", ".join(f"{lab} {p:.2f}" for lab, p in ev["top"])
            share = f" × {ev['pool_share']:g} in the decision" if ev.get("pool_share", 1.0) != 1.0 else ""  # rule 1c
            lines.append(f"| {name} reads | {top} (weight {ev['reliability']:.2f}{share}) |")
    fusion = cues.get("fusion") or {}
    lines.append(f"| decision | {', '.join(cues['candidates']) or '—'} ({_md_escape(fusion.get('summary', ''))}) |")
    if cues["missing"]:
        lines.append(f"| missing | {', '.join(cues['missing'])} |")
    lines.append(f"| clip | {_md_escape(clip['summary'])} |")
    timing = ", ".join(f"{k[:-2]} {v:.1f}s" for k, v in p.timings.items())
    lines += ["", f"<sub>perception: {timing}</sub>"]
    return "\n".join(lines)


def _status(text: str) -> str:
    return text


def _error(text: str) -> str:
    return f"⚠️ **Cannot use this clip.** {_md_escape(text)}"


def _messages(conv: Conversation | None, pending: str | None = None) -> list[dict[str, str]]:
    """The chat as Gradio messages, rebuilt from the conversation (the single source of truth)."""
    if conv is None or conv.answer is None:
        return []
    a = conv.answer
    msgs = [{"role": "assistant",
             "content": f"{a.explanation}\n\n**Emotions:** {', '.join(a.emotions) or '—'}"}]
    for q, reply in conv.history:
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": reply}]
    if pending is not None:
        msgs += [{"role": "user", "content": pending}, {"role": "assistant", "content": "…"}]
    return msgs


def _kept_in_cache(demo: gr.Blocks) -> set[str]:
    """Files Gradio keeps for every visitor (the example clips' cached copies): never deleted."""
    kept: set[str] = set()
    for block in demo.blocks.values():
        kept.update(getattr(block, "keep_in_cache", ()))
    return kept


def build_demo(model_spec: str = "default", *, model: EmotionModel | None = None, device: str = "cpu",
               examples: list[Path] | None = None, limits: UploadLimits | None = None,
               perceive_options: PerceiveOptions | None = None,
               followup_tokens: int = DEFAULT_FOLLOWUP_TOKENS,
               wheel: WheelLayout | None | object = _DEFAULT_LAYOUT) -> gr.Blocks:
    """The demo as ``gr.Blocks``. The model is loaded here (not on the first click), so a page
    that loads is a page that answers. ``wheel``: a ``WheelLayout`` for the emotion plot,
    ``None`` for the plain polar plot, or (default) the scorer's wheel when it is installed."""
    from ..models import load_model

    limits = limits or UploadLimits()
    options = perceive_options or PerceiveOptions()
    examples = find_examples() if examples is None else list(examples)
    if model is None:
        model = load_model(model_spec, device=device)
    model.load()  # the weights now, not on the first visitor
    layout = default_layout() if wheel is _DEFAULT_LAYOUT else wheel
    files = SessionFiles(gr.utils.get_upload_folder(), keep=lambda: _kept_in_cache(demo))

    def explain(video: str | None, subtitle: str | None, request: gr.Request,
                sound: str | None = None) -> Iterator[tuple]:
        # inputs: the video box, the subtitle, the sound box (last, so callers of the video-only
        # signature keep working; the boxes clear each other, so at most one is filled)
        # outputs: status, frames, faces, cues, chat, wheel plot, state
        clip = video or sound
        session = getattr(request, "session_hash", None)
        if session and clip:
            files.hold(session, clip)  # and the visitor's previous upload is deleted
        if not clip:
            yield _status("Pick an example clip, or upload a video or a sound recording first."), \
                [], [], "", [], None, None
            return
        path = Path(clip)
        try:
            check_text_field("subtitle", subtitle)
            check_upload(path, limits, name=path.name)
        except InputError as exc:
            gr.Warning(str(exc))
            yield _error(str(exc)), [], [], "", [], None, None
            return
        yield _status(f"Reading **{_md_escape(path.name)}**…"), [], [], "", [], None, None
        try:
            p = perceive(path, replace(options, subtitle=(subtitle or "").strip() or None))
        except InputError as exc:
            message = str(exc).replace(str(path), path.name)  # not Gradio's temp path
            gr.Warning(message)
            yield _error(message), [], [], "", [], None, None
            return
        frames = [(f, f"{t:.1f} s") for f, t in zip(p.clip.frames, p.clip.frame_times)]
        faces = [(c, "face" if found else "no face: whole frame") for c, found in zip(_model_view(p), p.faces.found)]
        # What was read is known only now: an .mp4 may hold sound alone, a .wav never a picture.
        read = "frames, faces, voice, words" if p.clip.has_picture else "voice, words: sound only"
        yield (_status(f"Explaining **{_md_escape(p.clip_id)}** ({read})…"), frames, faces, cues_markdown(p), [],
               None, Conversation(p))

    def stream(conv: Conversation | None) -> Iterator[tuple]:
        # outputs: chat, status, wheel plot, state
        if conv is None or conv.answer is not None:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        for partial, final in conv.explain(model):
            if not final:
                yield [{"role": "assistant", "content": partial.explanation}], gr.skip(), gr.skip(), gr.skip()
        yield _messages(conv), _status("Done. Ask a follow-up question below, or pick another clip."), \
            gr.skip(), conv
        a = conv.answer
        yield gr.skip(), gr.skip(), wheel_figure(a.emotions, list(conv.perception.cues.candidates), layout,
                                                 title=f"{conv.clip_id}: {', '.join(a.emotions)}"), gr.skip()

    def ask(question: str, conv: Conversation | None) -> Iterator[tuple]:
        # outputs: chat, question box, status, state
        q = (question or "").strip()
        if not q:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if conv is None or conv.answer is None:
            yield gr.skip(), question, _status("Explain a clip first: pick an example, or upload a video "
                                               "or a sound recording."), conv
            return
        try:
            check_text_field("question", q)
        except InputError as exc:
            yield gr.skip(), question, f"⚠️ {_md_escape(str(exc))}", conv
            return
        yield _messages(conv, pending=q), "", _status("Thinking…"), conv
        conv.ask(model, q, max_new_tokens=followup_tokens)
        yield _messages(conv), "", _status("Ask another question, or pick another clip."), conv

    with gr.Blocks(title="affect-llm: explainable emotion reasoning", analytics_enabled=False,
                   delete_cache=(CACHE_SWEEP_S, STATE_TTL_S)) as demo:
        gr.Markdown("## affect-llm — which emotions does the person show, and why?\n"
                    "Pick an example clip or upload one, then **Explain**. The model reads the face, "
                    "the voice and the words, explains the emotions clue by clue, and answers follow-up "
                    "questions about the same clip. A sound recording works too: the voice and the words "
                    f"are read, and the face is said to be missing. Uploads: {limits.describe()}.",
                    elem_id="intro")
        state = gr.State(None, time_to_live=STATE_TTL_S)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                video = gr.Video(label="Clip: a video", sources=["upload"], format=None, include_audio=True,
                                 height=300, elem_id="clip")
                if examples:
                    gr.Examples(examples=[[str(p)] for p in examples], inputs=[video],
                                example_labels=[p.stem for p in examples], label="Example clips",
                                elem_id="examples")
                sound = gr.Audio(label="… or a sound recording (no picture: voice and words only)",
                                 sources=["upload"], type="filepath", format=None, elem_id="sound")
                subtitle = gr.Textbox(label="What the person says (optional)", lines=1, elem_id="subtitle",
                                      placeholder="leave empty to transcribe the audio with Whisper")
                explain_btn = gr.Button("Explain", variant="primary", elem_id="explain")
                status = gr.Markdown("", elem_id="status")
            with gr.Column(scale=3, min_width=360):
                chat = gr.Chatbot(label="Explanation and follow-up questions", height=430,
                                  elem_id="conversation", feedback_options=None, buttons=["copy"])
                with gr.Row():
                    question = gr.Textbox(show_label=False, scale=4, elem_id="question",
                                          placeholder="Ask about this clip, e.g. why do you think she is worried?")
                    ask_btn = gr.Button("Ask", scale=1, elem_id="ask")
        with gr.Row(equal_height=False):
            frames = gr.Gallery(label="Sampled frames", columns=8, height=170, object_fit="contain",
                                elem_id="frames", allow_preview=True)
        with gr.Row(equal_height=False):
            faces = gr.Gallery(label="Faces as the expression model reads them (the detected box)", columns=8,
                               height=170, object_fit="contain", elem_id="faces")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                cues = gr.Markdown("", label="Cues", elem_id="cues")
            with gr.Column(scale=2):
                plot = gr.Plot(label="Emotion words", elem_id="wheel", format="png")

        # One clip at a time: filling one box empties the other (an emptied box changes nothing).
        video.change(lambda v: gr.skip() if v is None else None, [video], [sound], queue=False,
                     api_visibility="private")
        sound.change(lambda a: gr.skip() if a is None else None, [sound], [video], queue=False,
                     api_visibility="private")
        explain_btn.click(explain, [video, subtitle, sound], [status, frames, faces, cues, chat, plot, state],
                          concurrency_limit=2, api_name="perceive").then(
            stream, [state], [chat, status, plot, state], concurrency_id="llm", concurrency_limit=1,
            api_name="explain")
        for trigger in (ask_btn.click, question.submit):
            trigger(ask, [question, state], [chat, question, status, state], concurrency_id="llm",
                    concurrency_limit=1, api_visibility="private")

        def session_ended(request: gr.Request) -> None:
            """The visitor closed or reloaded the tab: their upload goes now, not with the cache sweep."""
            if getattr(request, "session_hash", None):
                files.release(request.session_hash)

        demo.unload(session_ended)
    demo.affect_allowed_paths = sorted({str(p.resolve().parent) for p in examples})
    demo.affect_session_files = files
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, limits: UploadLimits | None = None,
           block: bool = True) -> None:
    """Serve ``demo`` on ``host:port``; only the example clips' folder is served besides uploads."""
    limits = limits or UploadLimits()
    demo.queue(max_size=64)
    demo.launch(server_name=host, server_port=port, max_file_size=limits.max_bytes,
                allowed_paths=getattr(demo, "affect_allowed_paths", []), show_error=True, ssr_mode=False,
                quiet=True, prevent_thread_lock=True, inbrowser=False, share=False, css=CSS,
                footer_links=[], mcp_server=False, pwa=False)
    if block:
        try:
            demo.block_thread()
        finally:
            close(demo)


def close(demo: gr.Blocks) -> None:
    """Stop the server and delete what visitors left: the uploads still held (Gradio's shutdown
    clean-up also removes the files it wrote, since ``delete_cache`` is set)."""
    try:
        demo.close()
    finally:
        files = getattr(demo, "affect_session_files", None)
        if files is not None:
            files.release_all()
