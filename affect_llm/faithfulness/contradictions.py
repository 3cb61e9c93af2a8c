"""Check 1: claims that contradict what was measured.

Each check reads one kind of claim and compares it with the cue that measured it:

* missing modalities: a clause that describes the face when no face was found, the voice when
  there is no audio or no speech, the words when none were given or heard reliably (clauses that
  state the absence, "no face can be seen", are what a faithful explanation says);
* the face: an emotion or facial action said of the face must be one the face shows
  (``CueView.face_labels``); "mostly X" must be the dominant expression; change over time must
  match the two halves of the clip; "in N of M frames" must match the frame counts; "two
  faces", "another face" must match how many people's faces were seen (``face.people``), and
  "the video cuts (between N shots)" the shots among the sampled frames (``face.shots``);
* the words over time: a clause about the words that says they change or stay must match the
  words channel's turn (``evidence.words.detail.turn``), and "from X to Y" its order;
* the voice: pitch level, pitch variation, rising/falling intonation, loudness, pace, pauses, articulation
  and arousal ("low-energy"), each against its measure. A claim is contradicted only when the
  measure lies on the other side of the scale's middle (thresholds in ``cueview``; "moderate"
  arousal is the middle), so wording on the border between two of the measuring code's own
  words is never a fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ..emotions import Label
from . import cueview as cv
from .context import Ctx
from .fault import Fault
from .vocab import (
    CHANGE_WORDS,
    FACE_ACTIONS,
    FACE_KEYS,
    MANY_WORDS,
    MOSTLY,
    NUMBER_WORDS,
    PAUSE_WORDS,
    QUALITY,
    SPEECH_CUES,
    STAY_WORDS,
    VOICE_KEYS,
    VOICE_QUALITY,
    WORDS_KEYS,
    near_words,
    quality_of,
)

_WINDOW = 4  # tokens between a quality word and its anchor ("her voice is low and deep")


def check(ctx: Ctx) -> list[Fault]:
    faults: list[Fault] = []
    for fn in (_missing, _face, _time, _words_time, _stillness, _frames, _faces_seen, _shots, _voice, _pauses):
        faults.extend(fn(ctx))
    return faults


def _fault(ctx: Ctx, a: int, b: int, why: str) -> Fault:
    ctx.covered.update(range(a, b + 1))
    return Fault("contradiction", ctx.sent.span(a, b), why)


# ---------------------------------------------------------------------------- missing modalities
def _missing(ctx: Ctx) -> list[Fault]:
    view, toks, out = ctx.view, ctx.sent.tokens, []
    rules: list[tuple[str, Callable[[int], bool], str]] = []
    if view.face_found is False:
        rules.append(("face", lambda k: toks[k].text in FACE_KEYS or toks[k].text in FACE_ACTIONS,
                      "describes a face, but no face was found in the sampled frames"))
    if view.audio_present is False:
        rules.append(("voice", lambda k: toks[k].text in VOICE_KEYS,
                      "describes the voice or sound, but the clip has no audio track"))
    elif view.speech_present is False:
        rules.append(("voice", lambda k: toks[k].text in VOICE_QUALITY or _quality_at(ctx, k) is not None,
                      "describes the voice, but no speech was found in the audio"))
    elif view.tone_unmeasured:
        from ..cues import VoiceCues  # here: the checker reads the JSON record and needs no numpy to load

        rules.append(("voice", lambda k: toks[k].text in VOICE_QUALITY or _quality_at(ctx, k) is not None,
                      f"describes the voice, but {VoiceCues.PITCH_UNTRACKED}, so nothing about it was measured"))
    if view.transcript_unreliable:
        rules.append(("words", lambda k: toks[k].text in WORDS_KEYS,
                      "reports what was said, but the transcript is unreliable (speech not understood)"))
    elif view.words_present is False:
        rules.append(("words", lambda k: toks[k].text in WORDS_KEYS,
                      "reports what was said, but no words were spoken or given"))
    quoting = bool(ctx.sent.quotes) and any(t.text in SPEECH_CUES for t in toks if not t.quoted)
    for modality, hit, why in rules:
        if modality == "words" and quoting:
            continue  # a quotation of the person: the quote check names it
        for clause in ctx.clauses():
            if ctx.clause_has_absence(clause):
                continue
            ks = [k for k in ctx.clause_tokens(clause) if hit(k)]
            ks += [c.first for c in ctx.claims if not c.negated and modality in c.modalities
                   and ctx.sent.tokens[c.first].clause == clause and ctx.live(c.first)]
            if ks:
                k = min(ks)
                out.append(_fault(ctx, k, k, why))
                for c in ctx.claims:  # the emotion said of the absent modality is part of this fault
                    if modality in c.modalities and ctx.sent.tokens[c.first].clause == clause:
                        ctx.covered.update(range(c.first, c.last + 1))
                setattr(ctx, f"{modality}_missing_flagged", True)
                break
    return out


# ---------------------------------------------------------------------------- the face
def _face_reads(ctx: Ctx) -> str:
    probs = ctx.view.face.get("mean_probs") or {}
    top = sorted(((p, c) for c, p in probs.items() if isinstance(p, (int, float))), reverse=True)[:2]
    if top:
        return "the face reads " + ", ".join(f"{c} {p:.2f}" for p, c in top)
    return "the face reads " + ", ".join(sorted(ctx.view.face_labels)) if ctx.view.face_labels else "unknown"


def _face(ctx: Ctx) -> list[Fault]:
    view = ctx.view
    if not view.face_found or not view.face_labels or ctx.face_missing_flagged:
        return []  # no face, or a face without a usable reading: nothing to hold the claim to
    out = []
    for c in ctx.claims:
        if "face" not in c.modalities or not c.labels:
            continue
        if c.negated:  # "it is not happy" of a face that reads happy in most frames
            if view.face_dominant in c.labels and c.labels <= {view.face_dominant}:
                out.append(_fault(ctx, c.first, c.last, f"says the face is not {c.word}, but its dominant "
                                                        f"expression is {view.face_dominant}"))
            continue
        toks = ctx.sent.tokens
        if not c.labels & view.face_labels:
            said = f"shows '{c.word}'" if c.face_action else f"looks {c.word}"
            out.append(_fault(ctx, c.first, c.last, f"says the face {said}, but {_face_reads(ctx)}"))
            continue
        lead = [toks[j].text for j in range(max(ctx.marker_end, c.first - _WINDOW), c.first)
                if toks[j].clause == toks[c.first].clause]
        if view.face_dominant and any(w in MOSTLY for w in lead) and view.face_dominant not in c.labels:
            out.append(_fault(ctx, c.first, c.last,
                              f"says the face is mostly {c.word}, but its dominant expression is "
                              f"{view.face_dominant}"))
    return out


def _face_clause(ctx: Ctx, clause: int) -> bool:
    """The clause speaks of the face by name, by a facial action or by a face-attributed emotion."""
    toks = ctx.sent.tokens
    if any(toks[k].text in FACE_KEYS or toks[k].text in FACE_ACTIONS for k in ctx.clause_tokens(clause)):
        return True
    return any("face" in c.modalities and toks[c.first].clause == clause for c in ctx.claims)


def _time(ctx: Ctx) -> list[Fault]:
    view = ctx.view
    changes = view.face_changes
    if changes is None or ctx.face_missing_flagged:
        return []
    out = []
    first_half, second_half = view.face_halves
    for clause in ctx.clauses():
        if not _face_clause(ctx, clause):
            continue
        k, says_change, elsewhere = _over_time(ctx, clause, "face", changes, unanchored=True)
        if k is not None:
            out.append(_fault(ctx, k, k, f"says the expression changes, but it reads {first_half} in both halves "
                                         "of the clip" if says_change else
                              f"says the expression stays the same, but it changes from {first_half} to {second_half}"))
        elif not elsewhere:  # "the face points to happiness, and the words turn from happiness to anger"
            out.extend(_from_to(ctx, clause, first_half, second_half))
    return out


def _words_time(ctx: Ctx) -> list[Fault]:
    """A clause that names the words and says they change ("the words shift from joy to sadness",
    "later the words become angry"), or stay the same, against the words channel's turn
    (``CueView.words_turn``: their sentences plainly say one emotion, then another); "from X to Y"
    must be that turn, in that order. Nothing where the turn was not measured."""
    measured, turn = ctx.view.words_turn
    if not measured or ctx.view.words_present is False:
        return []
    toks, out = ctx.sent.tokens, []
    for clause in ctx.clauses():
        if not any(toks[k].text in WORDS_KEYS for k in ctx.clause_tokens(clause)):
            continue
        k, says_change, elsewhere = _over_time(ctx, clause, "words", turn is not None, unanchored=False)
        if k is not None:
            out.append(_fault(ctx, k, k, "says the words change, but no two of their sentences plainly say "
                                         "different emotions" if says_change else
                              f"says the words stay the same, but they turn from {turn[0]} to {turn[1]}"))
        elif turn is not None and not elsewhere:
            out.extend(_from_to(ctx, clause, turn[0], turn[1], ("the words go", "they go")))
    return out


def _over_time(ctx: Ctx, clause: int, channel: str, changes: bool, unanchored: bool) -> tuple[int | None, bool, bool]:
    """The change words ("changes", "turns", ``CHANGE_WORDS``) and stay words ("stays",
    "throughout", ``STAY_WORDS``) of ``clause`` said of ``channel`` (a word said of no channel
    counts as its own when ``unanchored``), against whether the channel ``changes``: the first
    that contradicts it and whether it says a change, and whether such a word is said of another
    channel (then the clause's "from X to Y" is that channel's too: "the face points to happiness,
    and the words turn from happiness to anger")."""
    toks = ctx.sent.tokens
    elsewhere = False
    for k in ctx.clause_tokens(clause):
        word = toks[k].text
        if word not in CHANGE_WORDS and word not in STAY_WORDS:
            continue
        about = ctx.modality_of(k)
        if channel not in about and (about or not unanchored):
            elsewhere = True  # "the pitch stays low throughout": not the face
            continue
        says_change = (word in CHANGE_WORDS) != ctx.negated_before(k)
        if says_change != changes:
            return k, says_change, elsewhere
    return None, False, elsewhere


# Whether the face moves (``face.still``): "its mouth does not move", "a motionless face", "a still
# photograph" say it is still; "her mouth moves as she speaks" says it moves. Not "static" or
# "frozen": "a static expression" says the expression does not change, which ``_time`` checks.
_MOVE_WORDS = frozenset({"move", "moves", "moving", "moved", "movement", "movements"})
_STILL_WORDS = frozenset({"motionless", "unmoving", "photograph", "photo"})


def _stillness(ctx: Ctx) -> list[Fault]:
    """A face clause that says the face (its mouth) moves, or does not, against ``face.still``;
    nothing when it was not measured."""
    still = ctx.view.face_still
    if still is None or ctx.face_missing_flagged:
        return []
    toks, out = ctx.sent.tokens, []
    for clause in ctx.clauses():
        if not _face_clause(ctx, clause):
            continue
        for k in ctx.clause_tokens(clause):
            word = toks[k].text
            says_still = word in _STILL_WORDS or (word in _MOVE_WORDS and ctx.negated_before(k))
            says_moves = word in _MOVE_WORDS and not ctx.negated_before(k)
            if says_still and not still:
                out.append(_fault(ctx, k, k, "says the face does not move, but its mouth moved between the "
                                             "sampled frames"))
                break
            if says_moves and still:
                out.append(_fault(ctx, k, k, "says the face moves, but its mouth does not move between the "
                                             "sampled frames"))
                break
    return out


def _from_to(ctx: Ctx, clause: int, first: Label | None, second: Label | None,
             what: tuple[str, str] = ("the expression goes", "it goes")) -> list[Fault]:
    """'from happy to neutral': the two halves (or the words' turn), in that order. ``what``
    names the subject in the fault: the claim's, then the measure's."""
    toks = ctx.sent.tokens
    ks = ctx.clause_tokens(clause)
    froms = [k for k in ks if toks[k].text == "from"]
    if not froms or first is None or second is None:
        return []
    tos = [k for k in ks if toks[k].text in ("to", "into") and k > froms[0]]
    if not tos:
        return []
    a = next((c for c in ctx.claims if froms[0] < c.first < tos[0] and not c.negated and c.labels), None)
    b = next((c for c in ctx.claims if c.first > tos[0] and not c.negated and c.labels), None)
    if a is None or b is None:
        return []
    if first not in a.labels or second not in b.labels:
        return [_fault(ctx, a.first, b.last, f"says {what[0]} from {a.word} to {b.word}, but {what[1]} "
                                             f"from {first} to {second}")]
    return []


_FRAMES = re.compile(r"\b(\d+|" + "|".join(w for w in NUMBER_WORDS if len(w) > 2) + r")\s+(?:out\s+)?of\s+"
                     r"(?:the\s+|all\s+)?(\d+|[a-z]+)\s+(?:sampled\s+|video\s+|extracted\s+)?frames\b"
                     r"|\b(\d+|[a-z]+)\s+(?:sampled\s+|video\s+)?frames\b")


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    n = NUMBER_WORDS.get(word)
    return n if n is not None and n >= 0 else None


def _live_matches(ctx: Ctx, pattern: re.Pattern) -> Iterator[tuple[re.Match, int, int]]:
    """Each match of ``pattern`` that is the explanation's own claim (outside quoted speech and the
    section opener, ``Ctx.live``), with its first and last token."""
    for m in pattern.finditer(ctx.sent.lower):
        if any(a <= m.start() < b for a, b in ctx.sent.quotes):
            continue
        k = ctx.sent.index_at(m.start())
        if k is not None and ctx.live(k):
            yield m, k, ctx.sent.index_at(m.end() - 1) or k


def _frames(ctx: Ctx) -> list[Fault]:
    view = ctx.view
    if not view.face_found or ctx.face_missing_flagged:
        return []
    total, with_face = view.face.get("frames"), view.face.get("frames_with_face")
    if not isinstance(total, int) or not isinstance(with_face, int):
        return []
    allowed = {with_face, total, *view.face_frame_counts().values()}
    out = []
    for m, k, last in _live_matches(ctx, _FRAMES):
        if m.group(1):
            n, of = _count(m.group(1)), _count(m.group(2))
        else:
            n, of = _count(m.group(3)), None
        if of is not None and isinstance(total, int) and of != total:
            out.append(_fault(ctx, k, last, f"says {of} frames were sampled, but {total} were"))
        elif n is not None and n not in allowed:
            out.append(_fault(ctx, k, last, f"says {n} frames, but the face was found in {with_face} of {total} "
                                            "and no expression covers that many"))
    return out


# "two faces", "both faces", "several faces", "another face": how many people's faces the
# sentence says are in view, held to ``face.people``. Only of faces: "two people" may be people
# the speaker talks about.
_FACES_SEEN = re.compile(r"\b(\d+|both|" + "|".join(w for w in NUMBER_WORDS if len(w) > 2)
                         + "|" + "|".join(MANY_WORDS) + r")\s+(?:different\s+|other\s+)?faces\b"
                         r"|\b(another|other|second)\s+face\b")


def _faces_seen(ctx: Ctx) -> list[Fault]:
    seen = ctx.view.faces_seen
    if not seen or ctx.face_missing_flagged:
        return []
    out = []
    for m, k, last in _live_matches(ctx, _FACES_SEEN):
        word = m.group(1) or m.group(2)
        said = 2 if word == "both" else (_count(word) if word not in MANY_WORDS else None)
        if said is not None and said >= 2 and said != seen:
            out.append(_fault(ctx, k, last, f"says {said} faces are seen, but {seen} {'was' if seen == 1 else 'were'}"))
        elif (said is None or said >= 2) and seen < 2:
            out.append(_fault(ctx, k, last, "speaks of more than one face, but one face was seen"))
    return out


# "the video cuts between 3 shots", "the camera cuts to", "two shots": the picture changing shot,
# held to ``face.shots`` (``media.shots``). Neither "shot" alone ("a gunshot") nor "cut" alone
# ("cutting back spending") is read: only a count of shots, or the video or camera cutting.
_SHOTS = re.compile(r"\b(\d+|" + "|".join(w for w in NUMBER_WORDS if len(w) > 2) + r")\s+(?:different\s+)?shots\b")
_CUTS = re.compile(r"\b(?:video|camera|film|picture|scene)\s+(?:then\s+|later\s+)?cut(?:s|ting)?\b")


def _shots(ctx: Ctx) -> list[Fault]:
    shots = ctx.view.shots
    if shots is None:
        return []
    out = []
    for m, k, last in _live_matches(ctx, _SHOTS):
        said = _count(m.group(1))
        if said is not None and said != shots:
            out.append(_fault(ctx, k, last, f"says {said} shots, but the sampled frames show {shots}"))
    if shots <= 1 and not out:
        out += [_fault(ctx, k, last, "says the video cuts, but the sampled frames show one shot")
                for _, k, last in _live_matches(ctx, _CUTS)]
    return out


# ---------------------------------------------------------------------------- the voice
def _quality_at(ctx: Ctx, k: int) -> tuple[str, str] | None:
    """(attribute, value) the token at ``k`` claims about the voice, or None."""
    toks = ctx.sent.tokens
    if toks[k].text not in QUALITY or not ctx.live(k):
        return None
    clause = [(j, toks[j].text) for j in ctx.clause_tokens(toks[k].clause)]
    return quality_of(toks[k].text, near_words(clause, k, _WINDOW))


# What a briefly measured voice (``CueView.brief_clause``) does not show, by the attribute a claim
# is about: any claim about these is a fault, whatever it says.
_UNSHOWN_BY_BRIEF = {"pace": "its pace", "pauses": "its pauses", "slope": "its intonation",
                     "variation": "how its pitch varies", "articulation": "its articulation"}


# Words that say a measure is not known ("its pace is unknown", "the pauses could not be measured"):
# such a clause states what a briefly measured voice does not show, as a faithful answer may. Not
# the plain negators: "no pauses", "not fast" are claims about the fragment.
_UNKNOWN = frozenset({"unknown", "unmeasured", "uncertain", "unclear", "unable", "impossible", "cannot",
                      "couldn't", "can't"})
_KNOWING = frozenset({"measured", "known", "determined", "told", "tell", "judged", "assessed", "tracked"})


def _says_unknown(ctx: Ctx, k: int) -> bool:
    """The clause of token ``k`` says a measure is unknown (``_UNKNOWN``, or "not" soon before a ``_KNOWING`` word)."""
    toks = ctx.sent.tokens
    words = [toks[j].text for j in ctx.clause_tokens(toks[k].clause)]
    if any(w in _UNKNOWN for w in words):
        return True
    return any((w == "not" or w.endswith("n't")) and _KNOWING & set(words[i + 1:i + 3]) for i, w in enumerate(words))


def _brief_fault(ctx: Ctx, k: int, attr: str) -> Fault:
    """"describes its pace ('fast'), but only 0.2 s of speech was clear enough to measure, so it is unknown"."""
    return _fault(ctx, k, k, f"describes {_UNSHOWN_BY_BRIEF[attr]} ('{ctx.sent.tokens[k].text}'), but "
                             f"{ctx.view.brief_clause}, so it is unknown")


def _voice(ctx: Ctx) -> list[Fault]:
    view = ctx.view
    if not view.speech_present or ctx.voice_missing_flagged:
        return []
    out = []
    for k in range(len(ctx.sent.tokens)):
        q = _quality_at(ctx, k)
        if q is None or q[0] == "pauses":
            continue
        if view.brief_clause and q[0] in _UNSHOWN_BY_BRIEF:
            if not _says_unknown(ctx, k):
                out.append(_brief_fault(ctx, k, q[0]))
            continue
        why = _quality_fault(view, q[0], q[1], ctx.negated_before(k))
        if why:
            out.append(_fault(ctx, k, k, why))
    return out


def _quality_fault(view: cv.CueView, attr: str, value: str, negated: bool) -> str | None:
    if attr == "pitch":
        hz, level = view.pitch_hz, view.pitch_level
        measured = f"the pitch is {level}" + (f" ({hz:.0f} Hz)" if hz is not None else "")
        if negated:
            return f"says the pitch is not {value}, but {measured}" if level == value else None
        if value == "high" and ((hz is not None and hz < cv.PITCH_MID_HZ) or level == "low"):
            return f"says the pitch is high, but {measured}"
        if value == "low" and ((hz is not None and hz > cv.PITCH_MID_HZ) or level == "high"):
            return f"says the pitch is low, but {measured}"
    elif attr == "variation":
        st, var = view.pitch_range, view.pitch_variation
        measured = f"the pitch is {var}" + (f" ({st:.1f} semitones)" if st is not None else "")
        if negated:
            return f"says the pitch is not {value}, but {measured}" if var == value and value != "steady" else None
        if value == "varied" and ((st is not None and st < cv.RANGE_MID_ST) or var == "monotone"):
            return f"says the pitch is varied, but {measured}"
        if value == "monotone" and ((st is not None and st > cv.RANGE_MID_ST) or var == "varied"):
            return f"says the pitch is flat, but {measured}"
        if value == "steady" and var == "varied":
            return f"says the pitch is steady, but {measured}"
    elif attr == "slope":
        slope = view.slope
        if negated:
            return f"says the pitch is not {value}, but it is {slope}" if slope == value else None
        other = {"rising": "falling", "falling": "rising"}[value]
        if slope == other:
            return f"says the intonation is {value}, but it is {slope}"
    elif attr == "loudness":
        cat, db = view.loudness, view.energy_db
        measured = f"the voice is {cat}" + (f" ({db:.0f} dBFS)" if db is not None else "")
        if negated:
            return f"says the voice is not {value}, but {measured}" if cat == value else None
        middle = cat in (None, "moderate") and db is not None
        if value == "loud" and (cat == "quiet" or (middle and db < cv.LOUD_MID_DB)):
            return f"says the voice is loud, but {measured}"
        if value == "quiet" and (cat == "loud" or (middle and db > cv.LOUD_MID_DB)):
            return f"says the voice is quiet, but {measured}"
    elif attr == "arousal":  # "high"/"low" against the voice channel's reading; "moderate" is the border
        level = view.arousal
        if negated:
            return f"says the voice's arousal is not {value}, but it reads {level}" if level == value else None
        if level is not None and level != "moderate" and level != value:
            return f"says the voice's arousal is {value}, but it reads {level}"
    elif attr == "articulation":  # only the opposite reading contradicts: ordinary is said of neither
        said = view.articulation
        if negated:
            return f"says the articulation is not {value}, but it is {said}" if said == value else None
        if said is not None and said != value:
            return f"says the articulation is {value}, but it is {said}"
    elif attr == "pace":
        pace, rate = view.pace, view.rate
        measured = f"the pace is {pace}" + (f" ({rate:.1f} syllables/s)" if rate is not None else "")
        if negated:
            return f"says the speech is not {value}, but {measured}" if pace == value else None
        if value == "fast" and (pace == "slow" or (rate is not None and rate < cv.RATE_MID_SPS)):
            return f"says the speech is fast, but {measured}"
        if value == "slow" and (pace == "fast" or (rate is not None and rate > cv.RATE_MID_SPS)):
            return f"says the speech is slow, but {measured}"
    return None


def _pauses(ctx: Ctx) -> list[Fault]:
    view = ctx.view
    n = view.pauses
    if not view.speech_present or ctx.voice_missing_flagged:
        return []
    if view.brief_clause:  # too little speech measured to count its pauses: any pause claim is one
        k = next((k for k, tok in enumerate(ctx.sent.tokens) if ctx.live(k) and not _says_unknown(ctx, k) and (
            tok.text in PAUSE_WORDS or (_quality_at(ctx, k) or ("",))[0] == "pauses")), None)
        return [] if k is None else [_brief_fault(ctx, k, "pauses")]
    if n is None:
        return []
    toks, out = ctx.sent.tokens, []
    for k, tok in enumerate(toks):
        if not ctx.live(k):
            continue
        claim: tuple[str, int] | None = None  # ("none"|"exact"|"atleast", count)
        if tok.text in PAUSE_WORDS:
            before = [toks[j].text for j in range(max(ctx.marker_end, k - 3), k) if toks[j].clause == tok.clause]
            if ctx.negated_before(k) or (before and before[-1] in ("without", "no")):
                claim = ("none", 0)
            elif any(w in MANY_WORDS for w in before):
                claim = ("atleast", 2)
            else:
                nums = [_count(w) if w not in ("a", "an") else -1 for w in before
                        if w.isdigit() or w in NUMBER_WORDS]
                if nums and nums[-1] is not None and nums[-1] >= 0:
                    claim = ("exact", nums[-1])
                else:
                    claim = ("atleast", 1)
        else:
            q = _quality_at(ctx, k)
            if q == ("pauses", "none") and not ctx.negated_before(k):
                claim = ("none", 0)
        if claim is None:
            continue
        kind, count = claim
        measured = f"{n} pause{'s' if n != 1 else ''} were measured" if n != 1 else "1 pause was measured"
        if kind == "none" and n > 0:
            out.append(_fault(ctx, k, k, f"says the speech has no pauses, but {measured}"))
        elif kind == "atleast" and n < count:
            out.append(_fault(ctx, k, k, f"says the speech has {'pauses' if count > 1 else 'a pause'}, "
                                         f"but {measured}"))
        elif kind == "exact" and n != count:
            out.append(_fault(ctx, k, k, f"says {count} pause{'s' if count != 1 else ''}, but {measured}"))
        if out:
            break
    return out
