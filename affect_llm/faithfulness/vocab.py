"""The words an explanation uses to talk about each modality and each measured quality.

Kept apart from the checks so the vocabulary can be read (and extended) in one place. Every
set is lower-case surface forms; the checks compare tokens, so inflections are listed.
"""

from __future__ import annotations

from ..emotions import Label

# Words that make a clause about the face.
FACE_KEYS = frozenset({
    "face", "faces", "facial", "facially", "expression", "expressions", "brow", "brows", "eyebrow", "eyebrows",
    "eye", "eyes", "mouth", "lips", "gaze", "jaw", "cheeks", "forehead", "countenance"})
# Facial actions and the labels they are evidence of.
FACE_ACTIONS: dict[str, frozenset[Label]] = {}
for _words, _labels in (
        ("smile smiles smiling smiled grin grins grinning grinned beaming beams beamed", ("happy",)),
        ("frown frowns frowning frowned", ("sad", "angry", "disgusted", "fearful")),
        ("scowl scowls scowling scowled glare glares glaring glared", ("angry", "disgusted")),
        ("tears tearful teary weeping weeps sobbing", ("sad",)),
        ("pout pouts pouting", ("sad", "angry", "disgusted")),
        ("sneer sneers sneering grimace grimaces grimacing", ("disgusted", "angry", "fearful", "sad")),
        ("wide-eyed gaping", ("surprised", "fearful"))):
    for _w in _words.split():
        FACE_ACTIONS[_w] = frozenset(_labels)  # type: ignore[arg-type]

# Words that make a clause about the voice. VOICE_QUALITY needs speech; the rest only audio.
VOICE_QUALITY = frozenset({
    "voice", "voices", "vocal", "vocally", "tone", "tones", "pitch", "pitched", "intonation", "prosody",
    "loudness", "volume", "pace", "tempo", "pause", "pauses", "paused", "pausing", "accent", "timbre",
    "inflection", "delivery", "shout", "shouts", "shouting", "shouted", "yell", "yells", "yelling", "yelled",
    "scream", "screams", "screaming", "screamed", "whisper", "whispers", "whispering", "whispered",
    "sounds", "sounding", "sounded", "high-pitched", "low-pitched", "monotone", "loud", "loudly", "louder",
    "articulation", "articulated", "enunciation", "diction"})
VOICE_KEYS = VOICE_QUALITY | frozenset({"audio", "acoustic", "acoustically", "sound", "speaks", "speaking",
                                        "spoke", "speech", "talks", "talking", "audible", "hear", "hears",
                                        "heard", "hearing", "gasp", "gasps", "sigh", "sighs", "sighing", "laugh",
                                        "laughs", "laughing", "laughter", "giggle", "giggles", "sob", "sobs",
                                        "mutters", "muttering", "mumbles", "mumbling"})
# Words that make a clause about what was said.
WORDS_KEYS = frozenset({
    "words", "word", "subtitle", "subtitles", "transcript", "transcription", "text", "textual", "verbal",
    "verbally", "sentence", "sentences", "statement", "utterance", "utterances", "phrase", "phrasing", "wording",
    "says", "said", "saying", "tells", "told", "asks", "asked", "mentions", "mentioned", "message", "lexical",
    "translation", "remark", "remarks", "exclaims", "exclaimed", "complains", "complained", "states", "stated",
    "reads", "quote", "quoted", "lines", "explains", "explained", "claims", "claimed", "admits", "admitted",
    "describes", "described", "reports", "announces", "announced", "insists", "promises", "confesses",
    "apologizes", "discusses", "discussing", "refers"})
# A quotation in a sentence with one of these is presented as the person's words.
SPEECH_CUES = WORDS_KEYS | frozenset({
    "say", "tell", "ask", "utter", "utters", "uttered", "shouts", "shouted", "yells", "yelled", "cries", "cried",
    "replies", "replied", "insists", "declares", "adds", "answers", "speaks", "spoke", "goes", "whispers",
    "screams", "repeats", "heard", "hear", "hears"})

# Words that make a clause a statement of absence ("no face can be seen", "the words are unclear").
ABSENCE = frozenset({
    "no", "not", "never", "without", "none", "nothing", "nobody", "neither", "nor", "cannot", "unknown",
    "unavailable", "missing", "absent", "hidden", "obscured", "invisible", "undetected", "unclear",
    "unintelligible", "inaudible", "silent", "silence", "mute", "muted", "lacks", "lack", "lacking",
    "unreadable", "blank", "empty", "unreliable", "uncertain", "unable", "impossible", "couldn't", "can't",
    "isn't", "wasn't", "aren't", "doesn't", "didn't", "unseen", "absence"})
NEGATORS = frozenset({"no", "not", "never", "without", "cannot", "hardly", "barely", "neither", "nor"})

# Qualities of the voice. Each entry: token -> (attribute, value, anchored?). Anchored words
# ("high", "quick") only count near a word of their anchor set; the others speak for themselves.
PITCH_ANCHORS = frozenset({"pitch", "pitched", "intonation"})
MELODY_ANCHORS = PITCH_ANCHORS | {"voice", "tone", "prosody", "delivery", "melody", "inflection", "speech"}
LOUD_ANCHORS = frozenset({"voice", "tone", "speech", "speaks", "speaking", "spoke", "volume", "says", "said",
                          "talks", "talking", "delivery", "sound", "sounds", "audio", "words"})
PACE_ANCHORS = frozenset({"speech", "speaks", "speaking", "spoke", "talks", "talking", "pace", "rate", "tempo",
                          "says", "said", "delivery", "words", "voice", "speed", "utters", "speaker"})
SLOPE_ANCHORS = PITCH_ANCHORS | {"voice", "tone", "inflection", "melody"}

QUALITY: dict[str, list[tuple[str, str, frozenset[str] | None]]] = {}


def _add(words: str, attr: str, value: str, anchors: frozenset[str] | None) -> None:
    for w in words.split():
        QUALITY.setdefault(w, []).append((attr, value, anchors))


_add("high-pitched shrill squeaky", "pitch", "high", None)
_add("high higher raised elevated", "pitch", "high", PITCH_ANCHORS)
_add("low-pitched deep-voiced", "pitch", "low", None)
_add("low lower", "pitch", "low", PITCH_ANCHORS)
_add("deep deeper", "pitch", "low", PITCH_ANCHORS | {"voice", "tone"})
_add("sing-song singsong", "variation", "varied", None)
_add("varied variable varying expressive animated melodic fluctuating fluctuates lively dynamic modulated "
     "wide-ranging", "variation", "varied", MELODY_ANCHORS)
_add("monotone monotonous droning", "variation", "monotone", None)
_add("flat unvaried level unmodulated flatly", "variation", "monotone", MELODY_ANCHORS)
_add("steady stable", "variation", "steady", PITCH_ANCHORS)
_add("rising rises rise rose upward climbing climbs", "slope", "rising", SLOPE_ANCHORS)
_add("falling falls fall fell drops dropping dropped descending downward sinking declining", "slope", "falling",
     SLOPE_ANCHORS)
_add("loud louder loudly shouting shouts shouted shout yelling yells yelled screaming screams screamed "
     "booming bellowing", "loudness", "loud", None)
_add("raises raising raise", "pitch", "high", PITCH_ANCHORS)
_add("raised forceful raises raising raise", "loudness", "loud", LOUD_ANCHORS)
_add("high", "loudness", "loud", frozenset({"volume"}))
_add("quietly softly hushed whisper whispers whispering whispered murmur murmurs murmuring murmured soft-spoken "
     "mutter mutters muttering muttered mumble mumbles mumbling mumbled",
     "loudness", "quiet", None)
_add("quiet soft faint", "loudness", "quiet", LOUD_ANCHORS)
_add("low", "loudness", "quiet", frozenset({"volume"}))
_add("fast faster quick quickly rapid rapidly hurried hurriedly rushed brisk briskly hasty hastily", "pace", "fast",
     PACE_ANCHORS)
_add("slow slower slowly unhurried leisurely drawn-out drawling sluggish", "pace", "slow", PACE_ANCHORS)
_add("continuous continuously uninterrupted non-stop", "pauses", "none", PACE_ANCHORS | {"flow"})
# How the voice is articulated (``cues.articulation_from_flux``: the spectral flux's reading).
ARTICULATION_ANCHORS = frozenset({"articulation", "articulated", "enunciation", "diction"})
_add("crisp crisply sharp clipped precise", "articulation", "crisp", ARTICULATION_ANCHORS)
_add("smooth smoothly slurred blurred", "articulation", "smooth", ARTICULATION_ANCHORS)
# The voice's arousal, the one thing its tone shows (``evidence.fusion``, rule 5): "low arousal",
# "heightened energy", "high-energy". Compared with the voice channel's arousal reading.
AROUSAL_ANCHORS = frozenset({"arousal", "aroused", "energy", "activation", "intensity", "agitation"})
_add("high higher heightened elevated intense strong", "arousal", "high", AROUSAL_ANCHORS)
_add("low lower reduced subdued weak", "arousal", "low", AROUSAL_ANCHORS)
_add("high-energy", "arousal", "high", None)
_add("low-energy", "arousal", "low", None)


def near_words(tokens: list[tuple[int, str]], k: int, window: int) -> dict[str, int]:
    """The words within ``window`` positions of position ``k``, each at its smallest distance;
    ``tokens`` are (position, word) pairs (a clause's, or a whole text's)."""
    near: dict[str, int] = {}
    for j, word in tokens:
        if 0 < abs(j - k) <= window:
            near[word] = min(abs(j - k), near.get(word, window))
    return near


def quality_of(word: str, near: dict[str, int]) -> tuple[str, str] | None:
    """(attribute, value) that ``word`` claims about the voice, or None; ``near`` maps the words
    around it (same clause, within a few tokens) to their distance. Of several readings the one
    whose anchor is nearest wins: in "low pitch and low energy" the first "low" is the pitch's,
    the second the arousal's. A word that speaks for itself (no anchor) is at distance 0."""
    best: tuple[int, str, str] | None = None
    for attr, value, anchors in QUALITY.get(word, ()):
        dist = 0 if anchors is None else min((near[a] for a in anchors if a in near), default=None)
        if dist is not None and (best is None or dist < best[0]):
            best = (dist, attr, value)
    return None if best is None else (best[1], best[2])


PAUSE_WORDS = frozenset({"pause", "pauses", "paused", "pausing", "halting"})
NUMBER_WORDS = {"one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "zero": 0, "a": -1, "an": -1}
MANY_WORDS = frozenset({"several", "many", "multiple", "frequent", "numerous", "repeated", "lots", "some",
                        "few", "various"})

# Change over time of the face.
CHANGE_WORDS = frozenset({"changes", "change", "changed", "changing", "shifts", "shift", "shifted", "shifting",
                          "turn", "turns", "turned", "becomes", "became", "transitions", "transition", "softens",
                          "softened", "fades", "faded", "gradually", "eventually", "initially", "later",
                          "varies", "alternates", "alternating", "flickers", "switches"})
STAY_WORDS = frozenset({"stays", "stay", "stayed", "remains", "remain", "remained", "throughout", "consistently",
                        "consistent", "constant", "constantly", "unchanged", "unchanging", "steadily", "persistently",
                        "persists", "holds"})
MOSTLY = frozenset({"mostly", "mainly", "largely", "predominantly", "primarily", "chiefly", "overall", "usually",
                    "generally", "dominant", "dominantly", "clearly", "obviously", "plainly", "consistently"})

# Sentence openers that name the section, EMER style.
MARKERS: dict[tuple[str, ...], str | None] = {
    ("in", "the", "video"): "face", ("in", "the", "footage"): "face", ("visually",): "face",
    ("on", "screen"): "face", ("in", "the", "image"): "face", ("in", "the", "frames"): "face",
    ("in", "the", "audio"): "voice", ("acoustically",): "voice", ("in", "the", "voice"): "voice",
    ("in", "the", "text"): "words", ("in", "the", "subtitle"): "words", ("in", "the", "transcript"): "words",
    ("verbally",): "words", ("based", "on"): None, ("overall",): None, ("in", "summary"): None,
    ("therefore",): None, ("taken", "together"): None, ("in", "conclusion"): None, ("all", "in", "all"): None,
    ("considering",): None, ("combining",): None, ("putting",): None,
}
SECTION_TOPIC = {"visual": "face", "acoustic": "voice", "verbal": "words", "inference": None}

