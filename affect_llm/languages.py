"""The spoken languages by name: the codes Whisper detects, and the English names said of them.

Why one home: the answer names a language only as a measured fact (the chat's "What language is
she speaking?" is answered from ``cues.words.language``), and the checker holds any sentence that
names one to the detected language (``faithfulness.entities``). Both need the same table, and the
checker needs every language Whisper can report: Javanese speech detected as Malay must not make
"Malay" read as an invented name.

The codes are Whisper's (ISO 639-1, with ``jw`` for Javanese, ``haw`` and ``yue`` of three
letters), as listed in ``whisper.tokenizer.LANGUAGES``; written out here because importing
``whisper`` loads torch (about a second), too slow for the checker.
"""

from __future__ import annotations

_TABLE = """
en:english zh:chinese de:german es:spanish ru:russian ko:korean fr:french ja:japanese
pt:portuguese tr:turkish pl:polish ca:catalan nl:dutch ar:arabic sv:swedish it:italian
id:indonesian hi:hindi fi:finnish vi:vietnamese he:hebrew uk:ukrainian el:greek ms:malay
cs:czech ro:romanian da:danish hu:hungarian ta:tamil no:norwegian th:thai ur:urdu hr:croatian
bg:bulgarian lt:lithuanian la:latin mi:maori ml:malayalam cy:welsh sk:slovak te:telugu
fa:persian lv:latvian bn:bengali sr:serbian az:azerbaijani sl:slovenian kn:kannada et:estonian
mk:macedonian br:breton eu:basque is:icelandic hy:armenian ne:nepali mn:mongolian bs:bosnian
kk:kazakh sq:albanian sw:swahili gl:galician mr:marathi pa:punjabi si:sinhala km:khmer sn:shona
yo:yoruba so:somali af:afrikaans oc:occitan ka:georgian be:belarusian tg:tajik sd:sindhi
gu:gujarati am:amharic yi:yiddish lo:lao uz:uzbek fo:faroese ht:haitian_creole ps:pashto
tk:turkmen nn:nynorsk mt:maltese sa:sanskrit lb:luxembourgish my:myanmar bo:tibetan tl:tagalog
mg:malagasy as:assamese tt:tatar haw:hawaiian ln:lingala ha:hausa ba:bashkir jw:javanese
su:sundanese yue:cantonese
"""

# code -> English name, lower case ("haitian creole")
NAMES: dict[str, str] = {code: name.replace("_", " ")
                         for code, name in (pair.split(":") for pair in _TABLE.split())}

# Other names a sentence may use for a detected language (Cantonese is heard as Chinese often).
_ALIASES = {"castilian": "es", "mandarin": "zh", "cantonese": "zh", "farsi": "fa", "burmese": "my",
            "filipino": "tl", "flemish": "nl", "moldavian": "ro", "valencian": "ca", "pushto": "ps"}

# one-word name -> code, for reading sentences word by word (the checker)
BY_NAME: dict[str, str] = {name: code for code, name in NAMES.items() if " " not in name} | _ALIASES


def name_of(code: str | None) -> str | None:
    """``"it"`` -> ``"Italian"``; a region suffix is ignored (``"zh-CN"``); an unknown code is
    given back as it is, None stays None."""
    if not code:
        return None
    name = NAMES.get(code.split("-")[0].lower())
    return name.title() if name else code
