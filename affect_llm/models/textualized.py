"""The embedded default model: grounded, textualized reasoning over the clip's cues with a small LLM.

It needs no training. Perception (``affect_llm.perception``) measures the clip and decides the
emotions from the fused evidence of face, voice and words (``affect_llm.evidence``). This model
only *writes*: each part of the explanation starts with the facts rendered from the cues
(``affect_llm.observations``) and an instruct LLM (the bundled SmolLM2-135M by default, any local
folder otherwise) finishes it with a short interpretive clause, all parts of all clips in one
batched generation. Every finished sentence goes through the faithfulness checker
(``affect_llm.faithfulness``, the same code as ``affect-llm eval faithfulness``); a sentence that
fails is generated once more (sampled, told what to avoid), then replaced by the rendered
sentence alone. ``Answer.grounding`` records which of the three each part is.

The emotions are the fused decision, strongest first; the LLM may add one nuance word (e.g.
"frustrated" for angry) only when the checker finds the evidence supports it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import observations
from ..llm import BUNDLED_LLM, BatchStreamer, LoadedLLM, chat_prompt, generate, load_llm, stream_in_thread
from ..prompts import fill, load_yaml

log = logging.getLogger(__name__)


@dataclass
class Answer:
    explanation: str
    emotions: list[str]
    emotions_source: str  # "evidence" (the fused decision) or "llm" (a model that names its own)
    sections: dict[str, str] = field(default_factory=dict)
    grounding: dict[str, str] = field(default_factory=dict)  # section -> "generated" | "regenerated" | "rendered"


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_SECTION_OF_MODALITY = {"face": "visual", "voice": "acoustic", "words": "verbal"}
# Verbs of a question about the words that the checker's modality keys (claims' anchors) lack.
_ASKS_FOR_WORDS = frozenset({"say", "saying", "tell", "telling", "speak", "speaking", "talk", "talking", "mean"})
_ASKER = frozenset({"you", "i", "we"})


def _followup_kept(sentence: str, cues: dict[str, Any], answer: Answer) -> bool:
    """Whether a sentence of a follow-up reply may be shown: no checker fault, and, as for the
    explanation's continuations, nothing the explanation and the words do not hold, no phrase said
    twice, and no denial of the answer's emotions. Why more than the checker: asked "Why do you
    think the person is angry?" of ``examples/angry.mp4``, the small LLM answered "... because they
    feel their emotions are being taken away", "Is the person lying?" with "They are telling the
    truth, but they've lied to themselves", "Is she happy?" of a clip answered happy with "No,
    she is not happy. She is not happy, but she is happy.", and "Why is she surprised?" with "The
    clip shows a face, but it's not the face of a person.": no count of the checker names these.
    Every reply with a contrast in it ("but", "not only") read so; the explanation's own conflict
    sentence, which the fallback can give, is rendered from the cues. A "you" outside a quote
    drops a sentence too (:func:`_addresses_the_reader`), and so does naming no feeling: "It's a
    face that looks like a face, and it's not a person."; 'The person said "sono".' (of a whole
    Italian sentence); the explanation's own sentence on what was asked says such things better."""
    from ..faithfulness import check_sentence
    from ..faithfulness.interpretation import denies_the_decision, garbled, muddled, new_content, repeated_phrase

    if not _extractor().extract(sentence).mentions:  # a reply speaks of feelings (the fallback of what was seen)
        return False
    return not (check_sentence(sentence, cues) or new_content(sentence, cues, answer.explanation)
                or repeated_phrase(sentence) or denies_the_decision(sentence, answer.emotions)
                or muddled(sentence, "reply") or garbled(sentence) or _addresses_the_reader(sentence))


def _addresses_the_reader(sentence: str) -> bool:
    """Whether a reply says "you" outside a quote. The one asking is not in the clip, so such a
    "you" is the speaker's own, taken over with the roles mixed up: of a clip whose words say
    "you lied to me again. I'm furious.", "Why is he angry?" got "They are angry because their
    lie was to you." (Quoting the person's "you" is fine: the checker holds the quote.)"""
    from ..faithfulness.text import parse

    return any(not t.quoted and t.text in _READER for t in parse(sentence).tokens)


_READER = frozenset({"you", "your", "yours", "yourself", "you're", "you've", "you'll", "you'd"})


def _followup_fallback(question: str, answer: Answer, lead: str) -> str:
    """The explanation's own sentence on the channel the question names ("what did she say?": the
    verbal one; "why does her voice ...": the acoustic one), the inference, which says which
    channels agree or conflict, for a question that names two, else ``lead`` and the inference.
    They were checked when the explanation was made, and they answer more of what users ask than
    a list of readings does."""
    sections = answer.sections or {}
    words = re.findall(r"[a-z]+", question.lower())
    asked = [m for k in range(len(words)) if (m := _asked_about(words, k))]
    if len(set(asked)) > 1:  # "Does her face match her words?": how the channels agree is the decision's
        return sections.get("inference") or answer.explanation
    name = _SECTION_OF_MODALITY[asked[0]] if asked else "inference"
    chosen = sections.get(name) or sections.get("inference") or answer.explanation
    inference = sections.get("inference") or ""
    if "why" in words and name != "inference" and re.search(rf"\bthe {asked[0]}\b", inference):
        # "Why does the face not count?": the face's sentence says what it showed, the decision
        # says how it weighed ("... the face's mouth does not move while speech is heard, so it
        # counts less"); the face's sentence alone did not answer.
        return f"{chosen} {inference}"
    return chosen if name != "inference" else f"{lead} {chosen}".strip()  # the lead: what was asked is not answered


def _asked_about(words: list[str], k: int) -> str | None:
    """The channel that word ``k`` of a question asks about, or None. A verb of speech whose subject
    is the asker or the assistant ("What would you say to them?") asks for advice, not for the
    words, which the reply gave before."""
    from ..faithfulness.context import keyword_modality

    if words[k] in _ASKS_FOR_WORDS:
        return None if k and words[k - 1] in _ASKER else "words"
    return keyword_modality(words[k])


def _complete_sentences(text: str, max_sentences: int = 2) -> str:
    """Keep at most ``max_sentences`` whole sentences of generated text; a trailing fragment cut by
    the token limit is dropped (or closed with a full stop when it is all there is)."""
    text = " ".join(text.split())
    parts = _SENTENCE_BREAK.split(text)
    whole = [p for p in parts if p.endswith((".", "!", "?", '."', '!"', '?"'))]
    kept = whole[:max_sentences] if whole else [text.rstrip(",;: ") + "."]
    return " ".join(kept)


def _has_sentences(text: str, count: int) -> bool:
    """True once ``text`` holds ``count`` whole sentences *and* has started the next one: from
    then on ``_complete_sentences(text, count)`` can no longer change, so generating more of this
    answer is wasted work (a full stop alone is not enough: "0." may be the start of "0.3 s")."""
    return len(_SENTENCE_BREAK.split(" ".join(text.split()))) > count


def _kept_part_complete(section: str, text: str) -> bool:
    """Whether the part of a generated answer that ``_assemble`` keeps is complete: the first line
    of the nuance word, the sentence a section finishes (generation can stop there)."""
    if section == "emotions":
        return "\n" in text.lstrip() or "," in text or "." in text
    return _has_sentences(text, 1)


def _join(prefix: str, continuation: str, max_sentences: int = 2) -> str:
    """Prefix + the whole sentences of the model's continuation (the prefix itself, which may
    quote a subtitle with its own full stops, is never cut)."""
    continuation = _complete_sentences(continuation, max_sentences) if continuation.strip() else ""
    glue = "" if continuation.startswith(("'", ",", ".")) else " "
    return (prefix + glue + continuation).strip()


# Noun forms the model often writes instead of adjectives.
NOUN_TO_ADJECTIVE = {"anger": "angry", "sadness": "sad", "happiness": "happy", "joy": "joyful",
                     "fear": "fearful", "surprise": "surprised", "disgust": "disgusted", "trust": "trusting",
                     "anxiety": "anxious", "excitement": "excited", "frustration": "frustrated",
                     "calmness": "calm", "neutrality": "neutral", "worry": "worried", "pride": "proud"}


@functools.lru_cache(maxsize=1)
def _extractor():
    """The scorer's rule extractor (lemmas, negation, multi-word expressions): the words the
    model names are then the very words the scorer will read."""
    from ..scoring.extract import RuleExtractor

    return RuleExtractor()


def parse_emotion_list(text: str, limit: int = 3) -> list[str]:
    """The emotion words of a list like "happy, excited and proud." on the answer's first line,
    read by the scorer's extractor (unknown and negated words dropped), nouns made adjectives."""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    out: list[str] = []
    for w in _extractor().extract(first_line).words:
        w = NOUN_TO_ADJECTIVE.get(w, w)
        if w not in out:
            out.append(w)
    return out[:limit]


RETRY_TEMPERATURE = 0.7  # the second try samples: greedy decoding would write the same sentence again
RETRY_SEED = 1234


class TextualizedModel:
    """Cues -> prompts -> one batched LLM generation -> checked sentences + the decided emotions."""

    def __init__(self, llm: str = BUNDLED_LLM, template: str = "textualized.yaml",
                 max_new_tokens: int = 40, name: str = "default", device: str = "cpu",
                 dtype: str = "auto", max_batch_rows: int = 0):
        """``dtype``: the LLM's weights (``"auto"``: bfloat16 where the CPU or GPU computes it
        natively, see ``llm.resolve_dtype``; ``"float32"`` for text that does not depend on how
        clips are batched together). ``max_batch_rows``: at most this many prompts per
        generation (0: all the prompts of a call at once; a cap bounds memory for big LLMs)."""
        self.llm_spec = llm
        self.device = device
        self.dtype = dtype
        self.max_batch_rows = max_batch_rows
        self.template = load_yaml(template)
        self.max_new_tokens = max_new_tokens
        self.name = name
        self._llm: LoadedLLM | None = None

    def load(self) -> TextualizedModel:
        """Load the LLM now (it loads on first use otherwise); returns the model."""
        _ = self.llm
        return self

    @property
    def llm(self) -> LoadedLLM:
        if self._llm is None:
            self._llm = load_llm(self.llm_spec, dtype=self.dtype, device=self.device)
        return self._llm

    def _values(self, p: Any) -> dict[str, str]:
        c = p.cues
        d = c.to_dict()
        emotion = c.candidates[0] if c.candidates else "neutral"
        return {"face": c.face.text(), "voice": c.voice.text(), "words": c.words.text(),
                "all_cues": c.text(), "evidence": c.evidence_text(), "subtitle": p.subtitle or "",
                "decision": ", ".join(c.candidates), "emotion": emotion,
                **{f"{m}_reading": observations.reading(sec, d) or "no clear emotion"
                   for m, sec in (("face", "visual"), ("words", "verbal"))},
                # the voice shows arousal, not a label (evidence.fusion, rule 5)
                "voice_reading": f"{observations.reading('acoustic', d) or 'moderate'} arousal",
                **{sec: observations.RENDER[sec](d) for sec in observations.SECTIONS}}

    def _has(self, p: Any, need: str) -> bool:
        c = p.cues
        # Words the English models could not read (no English to score: a failed translation, a
        # given Chinese subtitle) leave the LLM nothing it can interpret; their sentence is
        # rendered ("their meaning could not be read", or what their own-language emotion words
        # show). Generated, it invented ("a person who has been touched by someone else"). So is
        # a reading through a rough translation: the LLM sees only the words as heard, and wrote
        # "these words suggest sadness" about half-doubtful Javanese it could not read either.
        # Words that turn from one emotion to another (fusion rule 3f) are rendered too: given one
        # reading to interpret, the LLM would say the first and hide the second.
        ev = c.evidence["words"]
        read = bool(p.subtitle) and ev.reliability > 0 and observations.read_in_english(ev.detail) \
            and not observations.through_rough_translation(c.words.translation_reliable, ev.detail) \
            and "words" not in c.fusion.turns
        return {"face": c.face.found, "speech": c.voice.speech_found and c.voice.tone_measured, "words": read, "any": True}[need]

    def _specs(self) -> list[dict[str, Any]]:
        return self.template["sections"] + [dict(self.template["emotions"], name="emotions", needs="any")]

    def build_prompts(self, perceptions: list[Any], retry: dict[tuple[int, str], str] | None = None
                      ) -> tuple[list[str], list[tuple[int, str, str]]]:
        """All prompts of all clips, and for each its (clip index, section name, answer prefix).

        ``retry`` maps (clip index, section) to the faults of a first try: only those parts are
        built, each told what to avoid."""
        system = {"role": "system", "content": self.template["system"]}
        prompts, slots = [], []
        for i, p in enumerate(perceptions):
            values = self._values(p)
            for sec in self._specs():
                if not sec.get("generate", True) or not self._has(p, sec["needs"]) \
                        or (retry is not None and (i, sec["name"]) not in retry):
                    continue
                prefix = fill(sec["prefix"], **values)
                content = fill(sec["user"], **values)
                if retry is not None:
                    content += "\n" + fill(self.template["retry"], faults=retry[(i, sec["name"])])
                prompts.append(chat_prompt(self.llm, [system, {"role": "user", "content": content}]) + prefix)
                slots.append((i, sec["name"], prefix))
        return prompts, slots

    def _generate(self, prompts: list[str], slots: list[tuple[int, str, str]], streamer: Any = None,
                  temperature: float = 0.0) -> list[str]:
        # No repetition penalty: it would stop the model from quoting the cue words it should use;
        # loops are prevented by forbidding repeated 4-grams instead. ``max_batch_rows`` bounds
        # memory across clips; a streamed answer (one clip, one streamer) is one generation.
        step = self.max_batch_rows if self.max_batch_rows > 0 and streamer is None else max(len(prompts), 1)
        outputs: list[str] = []
        for start in range(0, len(prompts), step):
            names = [name for _, name, _ in slots[start:start + step]]
            outputs += generate(self.llm, prompts[start:start + step], max_new_tokens=self.max_new_tokens,
                                no_repeat_ngram_size=4, streamer=streamer, temperature=temperature,
                                seed=RETRY_SEED,
                                row_done=lambda row, text, names=names: _kept_part_complete(names[row], text))
        return outputs

    # ------------------------------------------------------------------------------ checking
    def _sentences(self, slots: list[tuple[int, str, str]], outputs: list[str]) -> dict[tuple[int, str], str]:
        """Each part's finished text: the prefix plus the first whole sentence of the continuation."""
        done: dict[tuple[int, str], str] = {}
        for (i, name, prefix), out in zip(slots, outputs):
            done[(i, name)] = out if name == "emotions" else _join(prefix, out, max_sentences=1)
        return done

    def _check(self, cues: list[dict[str, Any]], slots: list[tuple[int, str, str]],
               parts: dict[tuple[int, str], str]) -> dict[tuple[int, str], str]:
        """(clip, section) -> one line of faults, for each part that fails: the faithfulness
        checker's faults, a continuation that asserts no feeling (no emotion word, or only denied
        ones: it cannot be wrong, but it explains nothing either), one that adds content the facts do
        not hold ("has a tendency to lie"), one that names the same feeling twice (the small LLM
        looping: "not only surprised but also surprised"), or one that reads its section's channel as showing
        what it does not ("the face looks mostly neutral ..., which suggests ... happy"; both
        ``faithfulness.interpretation``), one that repeats a phrase (the same looping on other
        words: "has four sections and has four sections"), one that says two things at once
        ("not only low but also ... a moderate level of arousal", ``interpretation.muddled``), and
        one in the small LLM's own idiom ("expressing their emotions of mild arousal", ``garbled``)."""
        from ..faithfulness import check_sentence
        from ..faithfulness.interpretation import (AROUSAL_WORDS, garbled, muddled, new_content, off_reading,
                                                   repeated_phrase)

        prefixes = {(i, name): prefix for i, name, prefix in slots}
        failed = {}
        for (i, name), text in parts.items():
            if name == "emotions":
                continue
            faults = [f.text for f in check_sentence(text, cues[i], section=name)]
            continuation = text[len(prefixes[(i, name)]):]
            # It must assert a feeling: only denying one ("not happy with their own words", of
            # angry words) explains nothing, and the small LLM's negations are often confused.
            asserted = [m.word for m in _extractor().extract(continuation).mentions if not m.negated]
            if not faults and not asserted \
                    and not (name == "acoustic" and AROUSAL_WORDS & set(re.findall(r"[a-z-]+", continuation.lower()))):
                faults.append(continuation.strip(" .") or "an empty clause")
            twice = sorted({w for w in asserted if asserted.count(w) > 1})
            if twice:  # "not only surprised but also surprised by the facial expression": words, no sense
                faults.append(", ".join(f"{w} (said twice)" for w in twice))
            elif looped := repeated_phrase(continuation):
                faults.append(f"{looped} (said twice)")
            added = new_content(continuation, cues[i], prefixes[(i, name)])
            if added:  # the continuation interprets the facts; it may not add to them
                faults.append(", ".join(added))
            faults += muddled(continuation, name) + garbled(continuation)  # ...one thing, in English
            off = off_reading(continuation, name, cues[i])
            if off:  # ...and it interprets its own channel's reading, not another's
                faults.append(", ".join(off))
            if faults:
                failed[(i, name)] = "; ".join(dict.fromkeys(faults))
        return failed

    def _nuance(self, p: Any, cues: dict[str, Any], text: str) -> list[str]:
        """The decided labels plus the LLM's nuance word, when the checker licenses it: an emotion
        word the evidence supports (``faithfulness.licenses``) that refines a decided label
        ("frustrated" beside angry), placed right after that label."""
        from ..emotions import label_of
        from ..faithfulness import licenses

        emotions = list(p.cues.candidates)
        if emotions[:1] == ["neutral"]:
            return emotions
        for word in parse_emotion_list(text, limit=1):
            label = label_of(word)
            if word not in emotions and label in emotions and licenses(word, cues):
                emotions.insert(emotions.index(label) + 1, word)
        return emotions

    def _assemble(self, perceptions: list[Any], cue_dicts: list[dict[str, Any]], parts: dict[tuple[int, str], str],
                  grounding: dict[tuple[int, str], str]) -> list[Answer]:
        answers = []
        for i, (p, cues) in enumerate(zip(perceptions, cue_dicts)):
            sections, how = {}, {}
            for sec in self.template["sections"]:
                name = sec["name"]
                if (i, name) in parts and grounding.get((i, name)) != "rendered":
                    sections[name] = parts[(i, name)]
                    how[name] = grounding.get((i, name), "generated")
                else:
                    sections[name] = observations.closing(name, cues)
                    how[name] = "rendered"
                if name == "inference" and observations.conflict(cues):
                    sections[name] += " " + observations.conflict(cues)
            emotions = self._nuance(p, cues, parts.get((i, "emotions"), ""))
            answers.append(Answer(explanation=" ".join(sections.values()), emotions=emotions,
                                  emotions_source="evidence", sections=sections, grounding=how))
        return answers

    def _finish(self, perceptions: list[Any], slots: list[tuple[int, str, str]], outputs: list[str]) -> list[Answer]:
        """Check every generated part; retry the failures once (sampled, told what to avoid); what
        fails again is replaced by its rendered sentence."""
        cues = [p.cues.to_dict() for p in perceptions]
        parts = self._sentences(slots, outputs)
        grounding = {key: "generated" for key in parts}
        failed = self._check(cues, slots, parts)
        if failed:
            prompts, retry_slots = self.build_prompts(perceptions, retry=failed)
            second = self._sentences(retry_slots, self._generate(prompts, retry_slots, temperature=RETRY_TEMPERATURE))
            still = self._check(cues, retry_slots, second)
            for key in failed:
                log.debug("clip %d, %s: %r failed the check (%s); retried: %r (%s)", key[0], key[1], parts.get(key),
                          failed[key], second.get(key), still.get(key, "passed"))
                if key in second and key not in still:
                    parts[key], grounding[key] = second[key], "regenerated"
                else:
                    grounding[key] = "rendered"
        return self._assemble(perceptions, cues, parts, grounding)

    def answer(self, perceptions: list[Any]) -> list[Answer]:
        prompts, slots = self.build_prompts(perceptions)
        return self._finish(perceptions, slots, self._generate(prompts, slots))

    def _partial(self, perception: Any, cues: dict[str, Any], slots: list[tuple[int, str, str]],
                 texts: list[str]) -> Answer:
        """What has been generated so far, unchecked (the stream shows it growing; the final answer
        replaces it)."""
        sections = {}
        grown = {name: f"{prefix} {text.lstrip()}".strip() for (_, name, prefix), text in zip(slots, texts)}
        for sec in self.template["sections"]:
            sections[sec["name"]] = grown.get(sec["name"]) or observations.closing(sec["name"], cues)
        return Answer(explanation=" ".join(sections.values()), emotions=list(perception.cues.candidates),
                      emotions_source="evidence", sections=sections)

    def answer_stream(self, perception: Any) -> Iterator[tuple[Answer, bool]]:
        """The same generation as ``answer``, yielded as it grows: ``(partial answer, False)`` per
        step, then ``(final, checked answer, True)``. Used by the chat demo to stream token by token."""
        prompts, slots = self.build_prompts([perception])
        cues = perception.cues.to_dict()  # once, not per streamed step
        streamer = BatchStreamer(self.llm.tokenizer)
        for value, done in stream_in_thread(streamer, lambda: self._generate(prompts, slots, streamer=streamer)):
            yield (self._finish([perception], slots, value)[0] if done
                   else self._partial(perception, cues, slots, value)), done

    def followup(self, perception: Any, answer: Answer, history: list[tuple[str, str]], question: str,
                 max_new_tokens: int = 96) -> str:
        """Answer a follow-up question about the same clip, with its cues and the conversation so far.

        Each sentence of the reply goes through the checker and, being this model's own text, the
        continuation policy too (``_followup_kept``); failing sentences are dropped, and a reply left
        empty becomes the explanation's own sentence on what was asked (``_followup_fallback``)."""

        tpl = self.template["followup"]
        values = dict(self._values(perception), explanation=answer.explanation,
                      emotions=", ".join(answer.emotions))
        messages = [{"role": "system", "content": self.template["system"]},
                    {"role": "user", "content": fill(tpl["context"], **values)},
                    {"role": "assistant", "content": answer.explanation}]
        for q, a in history:
            messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        messages.append({"role": "user", "content": question})
        out = generate(self.llm, [chat_prompt(self.llm, messages)], max_new_tokens=max_new_tokens,
                       no_repeat_ngram_size=4)[0]
        cues = perception.cues.to_dict()
        kept = [s for s in _SENTENCE_BREAK.split(_complete_sentences(out, max_sentences=3))
                if s and _followup_kept(s, cues, answer)]
        return " ".join(kept) if kept else _followup_fallback(question, answer, tpl["fallback"])
