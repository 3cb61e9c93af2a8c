"""Emotion words from free text: the step both scoring modes share.

The rule-based extractor reads text the way the published metric's LLM is asked to: it lists
the emotion words that are asserted, in order, once each. On top of the lexicon look-up
(``lexicon.py``: WordNet morphology, "angrily" -> angry) it handles

* multi-word expressions from the lexicon ("fed up", "let down", "on edge"), matched on
  surface tokens and on base forms ("letting down");
* negation: "not angry", "no longer sad", "without fear", "neither happy nor sad" drop the
  words in scope; "not only", "no doubt" and "cannot hide her joy" are not negations;
* hedges and intensifiers ("slightly", "a bit", "very"): kept as the mention's intensity
  (0.5 or 1.5 per modifier), never as emotions;
* explicit neutrality ("neutral", "no obvious emotion", "expressionless") as the word
  ``neutral``, which the ``ovmer`` mode drops like the published tables and the ``affect``
  mode scores as its own class;
* words with a common non-emotion sense ("the *content* of the subtitle", "looking *down*")
  count only after a copula or a feeling verb (lexicon flags ``ctx`` and ``feel``).

``LLMExtractor`` sits behind the same interface and asks a local instruct model instead
(default: the bundled SmolLM2; the published metric uses Qwen2.5-7B), with the prompt in
``prompts/extract_emotions.txt``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple, Protocol

from .data import load_tables
from .lexicon import Canonicalizer, normalize

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[a-z]+(?:[-'][a-z]+)*|[.,;:!?()\[\]\"]|[^\sa-z]")
PUNCT_BOUNDARY = frozenset(".;:!?()[]\"")
CLAUSE_WORDS = frozenset({"but", "however", "although", "though", "yet", "while", "whereas", "and", "then",
                          "because", "since", "instead", "rather", "until", "unless", "whilst", "which", "who"})
COORDINATORS = frozenset({",", "or", "nor"})

NEGATORS = frozenset({"not", "no", "never", "without", "nor", "neither", "cannot", "hardly", "scarcely",
                      "lack", "lacks", "lacking", "lacked", "nothing", "none"})
NEGATOR_BIGRAMS = frozenset({("free", "of"), ("free", "from"), ("absence", "of"), ("devoid", "of"),
                             ("rather", "than"), ("instead", "of"), ("far", "from")})
# A negator followed by one of these asserts the emotion ("cannot hide her joy", "no doubt").
NOT_NEGATION_NEXT = frozenset({"only", "just", "merely", "doubt", "wonder", "hide", "hiding", "help", "contain",
                               "containing", "conceal", "concealing", "suppress", "suppressing", "mask",
                               "masking", "stop", "resist", "disguise", "hold", "holding", "keep"})
NEG_WINDOW = 5

HEDGES = frozenset({"less", "slightly", "somewhat", "mildly", "faintly", "vaguely", "marginally", "moderately", "partly",
                    "partially", "relatively", "fairly", "slight", "subtle", "subtly", "hint", "tinge", "trace",
                    "bit", "little", "kinda", "sorta", "mild", "faint", "touch"})
INTENSIFIERS = frozenset({"very", "extremely", "really", "so", "deeply", "highly", "incredibly", "intensely",
                          "utterly", "totally", "completely", "absolutely", "truly", "particularly", "especially",
                          "terribly", "awfully", "hugely", "immensely", "profoundly", "strongly", "overwhelmingly",
                          "super", "quite", "too", "great", "greatly", "strong", "intense", "deep", "extreme",
                          "full", "filled", "much", "badly", "thoroughly", "genuinely", "visibly", "clearly"})
HEDGE_FACTOR, INTENSIFIER_FACTOR = 0.5, 1.5
MOD_WINDOW = 2
MOD_SKIP = frozenset({"of", "a", "an", "more", "bit", "little"})

COPULAS = frozenset({"is", "are", "was", "were", "be", "been", "being", "am", "become", "becomes", "became",
                     "becoming", "get", "gets", "got", "getting", "grow", "grows", "grew", "growing", "remain",
                     "remains", "remained", "stay", "stays", "stayed", "look", "looks", "looked", "looking",
                     "seem", "seems", "seemed", "seeming", "appear", "appears", "appeared", "appearing",
                     "sound", "sounds", "sounded", "feel", "feels", "felt", "feeling", "left", "made", "makes"})
FEEL_VERBS = frozenset({"feel", "feels", "felt", "feeling", "seem", "seems", "seemed", "seeming", "sound", "sounds",
                        "sounded", "become", "becomes", "became", "get", "gets", "got", "getting"})
CONTEXT_SKIP = frozenset({"a", "an", "more", "less", "most", "rather", "pretty", "even", "still", "also", "all",
                          "quite", "somewhat", "slightly", "very", "really", "so", "too", "bit", "little",
                          "extremely", "deeply", "increasingly", "genuinely", "visibly", "clearly", "obviously"})

# "no obvious emotion", "without any emotional fluctuation", "shows no emotional expression"
NEUTRAL_LEAD = frozenset({"no", "without", "lack", "lacks", "lacking", "devoid", "free", "absence", "not"})
NEUTRAL_FILLER = frozenset({"obvious", "clear", "particular", "significant", "apparent", "evident", "strong", "special",
                            "notable", "noticeable", "visible", "discernible", "any", "much", "real", "great",
                            "major", "big", "distinct", "marked", "of", "show", "shows", "showing", "display",
                            "displaying", "express", "expressing", "reveal", "revealing", "an", "a",
                            "particularly", "specific", "other", "too", "many", "sign", "signs", "obviously",
                            "intense", "apparently"})
NEUTRAL_HEAD = frozenset({"emotion", "emotions", "emotional", "emotionally", "feeling", "feelings", "mood",
                          "expression", "expressions", "affect", "sentiment", "sentiments"})
NEUTRAL_TAIL = frozenset({"fluctuation", "fluctuations", "change", "changes", "expression", "expressions",
                          "reaction", "reactions", "response", "responses", "state", "states", "tone", "color",
                          "colour", "ups", "swings", "swing", "ripples", "variation", "variations", "tendency",
                          "tendencies", "display", "displays", "involvement", "intensity"})
NEUTRAL_WORD = "neutral"


class Mention(NamedTuple):
    """One emotion word as found in the text (a tuple: cheap to create by the million)."""

    word: str  # canonical form
    surface: str  # as written (normalised)
    start: int  # character offsets in the normalised text
    end: int
    intensity: float = 1.0
    negated: bool = False
    neutral: bool = False


@dataclass
class Extraction:
    """What the extractor found: the asserted words, in order, and every mention."""

    words: list[str]
    mentions: list[Mention] = field(default_factory=list)
    extractor: str = "rules"

    @property
    def negated(self) -> list[str]:
        return list(dict.fromkeys(m.word for m in self.mentions if m.negated))

    def intensity(self) -> dict[str, float]:
        """Strongest asserted intensity of each word."""
        out: dict[str, float] = {}
        for m in self.mentions:
            if not m.negated:
                out[m.word] = max(out.get(m.word, 0.0), m.intensity)
        return out

    def to_dict(self) -> dict:
        return {"words": self.words, "negated": self.negated, "intensity": self.intensity(),
                "mentions": [m._asdict() for m in self.mentions], "extractor": self.extractor}


class Extractor(Protocol):
    """Free text -> emotion words. Implementations: ``RuleExtractor``, ``LLMExtractor``."""

    name: str

    def extract(self, text: str) -> Extraction: ...

    def extract_many(self, texts: list[str]) -> list[Extraction]: ...

    def label_words(self, label: str) -> list[str]: ...

    def save(self) -> None: ...


_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"', "\u300c": '"',
                        "\u300d": '"'})
QUOTE_SKIP = 4  # a quotation longer than this many tokens is reported speech, not a description


def _prepare(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return normalize(text)


def _quoted_speech(toks: list[str]) -> set[int]:
    """Token indices inside long double-quoted spans (the subtitle a description quotes)."""
    skip: set[int] = set()
    quotes = [i for i, t in enumerate(toks) if t == '"']
    for a, b in zip(quotes[::2], quotes[1::2]):
        if b - a - 1 > QUOTE_SKIP:
            skip.update(range(a + 1, b))
    return skip


class RuleExtractor:
    """Lexicon, WordNet morphology, phrases, negation, hedges. Fast: dictionary look-ups once warm."""

    name = "rules"

    def __init__(self, canonicalizer: Canonicalizer | None = None) -> None:
        self.canon = canonicalizer or Canonicalizer()
        self.lexicon = self.canon.lexicon
        self.tables = load_tables()
        self._phrases: dict[tuple[str, ...], str] = {}
        for key, word in self.lexicon.phrases.items():
            self._phrases[key] = word
            lemma_key = tuple(self.canon.light_lemma(t) if t.isalpha() else t for t in key)
            self._phrases.setdefault(lemma_key, word)
        self._lengths: dict[str, set[int]] = {}  # first token (or its base form) -> phrase lengths
        for key in self._phrases:
            self._lengths.setdefault(key[0], set()).add(len(key))
        self._starts = frozenset(self._lengths)
        self._memo: dict[str, Extraction] = {}
        self._tok_info: dict[str, tuple] = {}

    def save(self) -> None:
        """Persist the token cache (WordNet answers) for the next process."""
        self.canon.save()

    # --- public -------------------------------------------------------------------
    def extract(self, text: str) -> Extraction:
        if not isinstance(text, str):
            raise TypeError(f"expected text, got {type(text).__name__}")
        hit = self._memo.get(text)
        if hit is not None:
            return hit
        result = self._extract(_prepare(text), strict=True)
        if len(self._memo) < 200_000:
            self._memo[text] = result
        return result

    def extract_many(self, texts: list[str]) -> list[Extraction]:
        return [self.extract(t) for t in texts]

    def label_words(self, label: str) -> list[str]:
        """One entry of an ``emotions`` list -> canonical words (affect mode).

        A listed emotion is trusted more than running text: context flags do not apply,
        table words are kept as they are, and an unknown single word is kept for the
        mapper (WordNet and MiniLM may still place it). Longer labels are read as text,
        so "slightly annoyed" gives annoyed and "not angry" gives nothing.
        """
        key = _prepare(str(label)).strip(" .,;:!?\"'[]()")
        if not key:
            return []
        entry = self.lexicon.entry(key)
        if entry is not None:
            return [entry.word if " " in key else (self.canon(key) or entry.word)]
        toks = key.split()
        if len(toks) == 1:
            word = self.canon(key)  # "Angrier" -> angry, "anxieties" -> anxious
            if word:
                return [word]
        if key in self.tables.forms or key in self.tables.wheel_words:
            return [key]
        found = self._extract(key, strict=False)
        if found.mentions:
            return found.words
        if len(toks) == 1 and re.fullmatch(r"[a-z][a-z'-]{1,30}", key):
            return [self.canon.light_lemma(key)]
        return []

    # --- the scanner ------------------------------------------------------------------
    def _norm_tok(self, tok: str) -> str:
        return "n't" if tok.endswith("n't") else tok

    def _info(self, tok: str) -> tuple:
        """Everything the scanner needs to know about a token, computed once per token:
        (kind, factor, canonical word, lexicon entry, may start a phrase, may start a
        neutral phrase)."""
        info = self._tok_info.get(tok)
        if info is not None:
            return info
        norm = self._norm_tok(tok)
        alpha = tok[0].isalpha()
        starts = alpha and (norm in self._starts or self.canon.light_lemma(norm) in self._starts)
        neutral_lead = tok in NEUTRAL_LEAD or tok.endswith("n't")
        canon, entry, factor = None, None, 1.0
        if tok in PUNCT_BOUNDARY or tok in CLAUSE_WORDS:
            kind = _BOUNDARY
        elif tok in COORDINATORS:
            kind = _COORD
        elif tok in NEGATORS or tok.endswith("n't") or tok in _BIGRAM_FIRST or tok in ("kind", "sort"):
            kind = _SPECIAL  # depends on the next token
        elif tok in HEDGES or tok in INTENSIFIERS:
            kind = _MODIFIER
            factor = INTENSIFIER_FACTOR if tok in INTENSIFIERS else HEDGE_FACTOR
        else:
            canon = self.canon(tok) if alpha else None
            if canon is None:
                kind = _SKIP if tok in MOD_SKIP else _OTHER
            else:
                kind = _EMOTION
                entry = self.lexicon.entry(normalize(canon)) or self.lexicon.entry(tok)
        info = (kind, factor, canon, entry, starts, neutral_lead)
        self._tok_info[tok] = info
        return info

    def _match_phrase(self, toks: list[str], i: int) -> tuple[str, int] | None:
        first = self._norm_tok(toks[i])
        lengths = self._lengths.get(first, set()) | self._lengths.get(self._lemma(first), set())
        for n in sorted(lengths, reverse=True):
            if i + n > len(toks):
                continue
            window = tuple(self._norm_tok(t) for t in toks[i:i + n])
            word = self._phrases.get(window)
            if word is None:
                word = self._phrases.get(tuple(self._lemma(t) for t in window))
            if word is not None:
                return word, n
        return None

    def _lemma(self, tok: str) -> str:
        return self.canon.light_lemma(tok) if tok.isalpha() else tok

    def _is_negator(self, toks: list[str], i: int) -> int:
        """Length of the negator starting at ``i`` (0 when there is none)."""
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if (tok, nxt) in NEGATOR_BIGRAMS:
            return 2
        if tok in NEGATORS or tok.endswith("n't"):
            after = toks[i + 2] if i + 2 < len(toks) else ""
            if nxt in NOT_NEGATION_NEXT or (nxt in ("be", "even") and after in NOT_NEGATION_NEXT):
                return 0
            return 1
        return 0

    def _neutral_phrase(self, toks: list[str], i: int) -> int:
        """Length of a "no obvious emotion"-type phrase starting at ``i`` (0 when none)."""
        j = i + 1
        if toks[i] in ("free", "absence", "devoid", "lack") and j < len(toks) and toks[j] in ("of", "from"):
            j += 1
        fillers = 0
        while j < len(toks) and toks[j] in NEUTRAL_FILLER and fillers < 4:
            j += 1
            fillers += 1
        if j >= len(toks) or toks[j] not in NEUTRAL_HEAD:
            return 0
        if (toks[i] == "not" or toks[i].endswith("n't")) and fillers == 0:
            return 0  # "does not show any emotion" is neutral, "not emotional" alone is not enough
        head = toks[j]
        j += 1
        if head in ("emotional", "emotionally"):
            if j < len(toks) and toks[j] in NEUTRAL_TAIL:
                j += 1
            elif head == "emotional" and j < len(toks) and toks[j] not in PUNCT_BOUNDARY:
                return 0  # "no emotional support" is about something else
        return j - i

    def _context_ok(self, toks: list[str], i: int, need: str, last_mention: int) -> bool:
        j = i - 1
        while j >= 0 and toks[j] in CONTEXT_SKIP:
            j -= 1
        if j < 0:
            return False
        prev = toks[j]
        if prev in COORDINATORS or prev == "and":
            return last_mention == j - 1
        if need == "feel":
            return prev in FEEL_VERBS
        return prev in COPULAS or prev.endswith(("'s", "'m", "'re"))

    def _extract(self, text: str, strict: bool) -> Extraction:
        toks = _TOKEN.findall(text)
        found: list[tuple[int, int, str, float, bool, bool]] = []  # start tok, length, word, ...
        neg_left = 0  # tokens left in the current negation scope
        neg_coord = False  # the last mention was negated and a list may continue it
        mod = 1.0
        mod_left = 0
        last_mention = -10  # token index of the end of the last mention
        quoted = _quoted_speech(toks) if '"' in text else ()
        info_of = self._info
        i = 0
        n = len(toks)
        while i < n:
            if quoted and i in quoted:
                i += 1
                continue
            tok = toks[i]
            kind, factor, canon, entry, starts, neutral_lead = info_of(tok)
            # 1. explicit neutrality ("no obvious emotion") before negation can eat it
            if neutral_lead:
                k = self._neutral_phrase(toks, i)
                if k:
                    found.append((i, k, NEUTRAL_WORD, 1.0, False, True))
                    last_mention = i + k - 1
                    neg_left, neg_coord, mod, mod_left = 0, False, 1.0, 0
                    i += k
                    continue
            # 2. multi-word expressions ("fed up", "not good enough")
            word, span_len = None, 1
            if starts:
                hit = self._match_phrase(toks, i)
                if hit:
                    word, span_len = hit
                    entry = self.lexicon.entry(word)
                    if entry is not None:
                        word = entry.word  # the lexicon's spelling ("don’t care", as in the wheel tables)
            if word is None:
                # 3. boundaries, negators and modifiers
                if kind == _BOUNDARY:
                    neg_left, neg_coord, mod, mod_left = 0, False, 1.0, 0
                    i += 1
                    continue
                if kind == _COORD:
                    if tok == ",":  # "not angry, sad" does not negate sad; "not X or Y" negates both
                        neg_left = 0
                    mod, mod_left = 1.0, 0
                    i += 1
                    continue
                if kind == _SPECIAL:
                    nxt = toks[i + 1] if i + 1 < n else ""
                    if tok in ("no", "without") and nxt in ("doubt", "wonder", "question"):
                        i += 2  # "no doubt he is furious": an idiom, neither negation nor emotion
                        continue
                    k = self._is_negator(toks, i)
                    if k:
                        neg_left, neg_coord = NEG_WINDOW, False
                        i += k
                        continue
                    if tok in ("kind", "sort") and nxt == "of":
                        kind, factor = _MODIFIER, HEDGE_FACTOR
                    else:
                        kind = _OTHER
                if kind == _MODIFIER:
                    mod = min(max(mod * factor, 0.25), 2.25)
                    mod_left = MOD_WINDOW + 1
                    i += 1
                    continue
                # 4. single-word emotions
                if kind != _EMOTION:
                    if kind != _SKIP:
                        mod_left = max(mod_left - 1, 0)
                        neg_left = max(neg_left - 1, 0)
                        neg_coord = False
                    i += 1
                    continue
                if strict and entry is not None and entry.context \
                        and not self._context_ok(toks, i, entry.context, last_mention):
                    neg_left = max(neg_left - 1, 0)
                    mod_left = max(mod_left - 1, 0)
                    neg_coord = False
                    i += 1
                    continue
                word = canon
            negated = neg_left > 0 or neg_coord
            is_neutral = bool(entry and entry.neutral)
            found.append((i, span_len, NEUTRAL_WORD if is_neutral else word, mod if mod_left > 0 else 1.0,
                          negated, is_neutral))
            neg_coord = negated
            neg_left = 0
            mod, mod_left = 1.0, 0
            last_mention = i + span_len - 1
            i += span_len
        if not found:
            return Extraction([], [], self.name)
        spans = [m.span() for m in _TOKEN.finditer(text)]
        mentions = []
        for start_tok, length, word, intensity, negated, is_neutral in found:
            start, end = spans[start_tok][0], spans[start_tok + length - 1][1]
            mentions.append(Mention(word, text[start:end], start, end, intensity, negated, is_neutral))
        words = list(dict.fromkeys(m.word for m in mentions if not m.negated))
        return Extraction(words, mentions, self.name)


_OTHER, _BOUNDARY, _COORD, _SPECIAL, _MODIFIER, _EMOTION, _SKIP = range(7)
_BIGRAM_FIRST = frozenset(a for a, _ in NEGATOR_BIGRAMS)


# --- the optional LLM extractor -------------------------------------------------------------
PROMPT_FILE = "extract_emotions.txt"


def load_prompt(name: str = PROMPT_FILE) -> str:
    """A prompt template from ``affect_llm._prompts`` (installed) or the repository's ``prompts/``."""
    try:
        return resources.files("affect_llm._prompts").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        source = Path(__file__).resolve().parents[2] / "prompts" / name
        if source.is_file():
            return source.read_text(encoding="utf-8")
    from ..errors import ModelError

    raise ModelError(f"prompt template prompts/{name} is missing: reinstall affect-llm")


def parse_llm_list(reply: str) -> list[str]:
    """The items of a model's answer: "joy, relief; slightly nervous", a bulleted list, or a
    sentence such as "The person feels: joy and relief" (the part after the last colon)."""
    reply = reply.strip().split("\n\n")[0]
    lines = [ln for ln in reply.splitlines() if ln.strip()]
    if len(lines) == 1 and ":" in lines[0]:
        lines = [lines[0].rsplit(":", 1)[1]]
    items = re.split(r"[,;/|]+|\band\b|\bor\b", "\n".join(lines))
    out = []
    for item in re.split(r"\n", "\n".join(items)):
        item = re.sub(r"^[\s\-*\u2022\d.)\]\[\"']+|[\s.!\"'\]\[]+$", "", item).strip()
        if item and len(item) <= 120:
            out.append(item)
    return out


class LLMExtractor:
    """Ask a local instruct model for the emotion words, then normalise each like a label.

    Greedy decoding keeps it deterministic. The published metric does this step with
    Qwen2.5-7B; any local ``AutoModelForCausalLM`` folder can be given as ``model``.
    """

    def __init__(self, model: str = "smollm2", batch_size: int = 8, max_new_tokens: int = 32,
                 rules: RuleExtractor | None = None) -> None:
        self.model_spec = model
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.rules = rules or RuleExtractor()
        self.template = load_prompt()
        self.name = f"llm:{model}"

    def save(self) -> None:
        self.rules.save()

    def label_words(self, label: str) -> list[str]:
        return self.rules.label_words(label)

    def extract(self, text: str) -> Extraction:
        return self.extract_many([text])[0]

    def extract_many(self, texts: list[str]) -> list[Extraction]:
        from ..llm import chat_prompt, generate, load_llm

        llm = load_llm(self.model_spec)
        out: list[Extraction] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            prompts = [chat_prompt(llm, [{"role": "user", "content": self.template.format(text=t.strip()[:4000])}])
                       for t in batch]
            replies = generate(llm, prompts, max_new_tokens=self.max_new_tokens, repetition_penalty=1.0)
            for reply in replies:
                words: list[str] = []
                for item in parse_llm_list(reply):
                    if len(item.split()) <= 3:
                        words.extend(self.rules.label_words(item))
                    else:  # a chatty item ("the person feels a mix of joy"): read it as text
                        words.extend(self.rules.extract(item).words)
                out.append(Extraction(list(dict.fromkeys(words)), [], self.name))
        return out


def get_extractor(name: str = "rules", llm: str = "smollm2") -> Extractor:
    """``rules`` (default) or ``llm`` (with ``llm`` naming the model: "smollm2" or a local folder)."""
    if name == "rules":
        return RuleExtractor()
    if name == "llm":
        return LLMExtractor(llm)
    raise ValueError(f"unknown extractor {name!r}: use 'rules' or 'llm'")
