"""The person's words read in their own language (``evidence.own_words``): Chinese, Spanish, German,
French, Italian, Portuguese, Russian, Indonesian, Japanese."""

import pytest

from affect_llm.evidence.own_words import LANGUAGES, guess_language, language_of, read_own_words, reads_as_english


def top(text, language):
    reading = read_own_words(text, language)
    return None if reading is None else max(reading.scores, key=reading.scores.get)


@pytest.mark.parametrize("text, language, label", [
    ("Estoy muy triste hoy.", "es", "sad"),
    ("¡Qué asco! No lo soporto.", "es", "disgusted"),
    ("No me lo puedo creer, ¡qué sorpresa!", "es", "surprised"),
    ("Estoy HARTA de tus mentiras.", "es", "angry"),
    ("Tengo mucho miedo.", "es", "fearful"),
    ("我今天很开心", "zh", "happy"),
    ("我真的好难过", "zh", "sad"),
    ("你太过分了，我气死了！", "zh", "angry"),
    ("我好害怕", "zh", "fearful"),
    ("開心極了", "zh", "happy"),  # traditional characters
    ("Ich bin so wütend!", "de", "angry"),
    ("Das ist ja ekelhaft.", "de", "disgusted"),
    ("Ich habe Angst.", "de", "fearful"),
    ("WUTEND", "de", "angry"),  # case and accents folded
    ("¡No me digas! ¿De verdad?", "es", "surprised"),  # a phrase that starts with a negator
    ("Déjame en paz.", "es", "angry"),
    ("Te extraño tanto.", "es", "sad"),
    ("Hau ab!", "de", "angry"),
    ("Wie schön, dass du da bist!", "de", "happy"),
    ("Je suis tellement triste aujourd'hui.", "fr", "sad"),
    ("J'en ai marre, tais-toi !", "fr", "angry"),
    ("Au secours ! J'ai peur !", "fr", "fearful"),
    ("C'est dégoûtant.", "fr", "disgusted"),
    ("Sono molto arrabbiato con te.", "it", "angry"),
    ("Che schifo!", "it", "disgusted"),
    ("Mamma mia, non ci posso credere!", "it", "surprised"),  # a phrase that starts with a negator
    ("Sono così felice di vederti.", "it", "happy"),
    ("Estou muito feliz hoje.", "pt", "happy"),
    ("Tenho medo do escuro.", "pt", "fearful"),
    ("Cala a boca!", "pt", "angry"),
    ("Que nojo!", "pt", "disgusted"),
    ("Мне очень грустно сегодня.", "ru", "sad"),
    ("Ты меня бесишь, заткнись!", "ru", "angry"),
    ("Помогите! Мне страшно!", "ru", "fearful"),
    ("Не может быть! Ничего себе!", "ru", "surprised"),  # a phrase that starts with a negator
    ("Aku sangat sedih hari ini.", "id", "sad"),
    ("Saya takut sekali, tolong saya!", "id", "fearful"),
    ("Kamu kurang ajar!", "id", "angry"),
    ("今日はとても嬉しいです", "ja", "happy"),
    ("ふざけるな！腹が立つ", "ja", "angry"),
    ("まさか！信じられない", "ja", "surprised"),
    ("嬉しくない", "ja", "sad"),  # negation follows the word: "not happy"
])
def test_a_named_feeling_is_read(text, language, label):
    assert top(text, language) == label


@pytest.mark.parametrize("text, language", [
    ("No estoy triste.", "es"),
    ("No tengo nada de miedo.", "es"),
    ("我不怕", "zh"),
    ("别生气了", "zh"),
    ("Ich habe keine Angst.", "de"),
    ("Je ne suis pas triste.", "fr"),
    ("Non ho paura.", "it"),
    ("Não estou com medo.", "pt"),
    ("Я тебя не боюсь.", "ru"),
    ("Saya tidak takut.", "id"),
    ("悲しくないよ", "ja"),
    ("もう怒ってないよ", "ja"),
    ("心配しないで", "ja"),
])
def test_a_negated_feeling_gives_no_reading(text, language):
    assert read_own_words(text, language) is None


def test_a_negated_happy_word_reads_a_little_sad_and_a_negator_does_not_cross_a_clause():
    assert top("No estoy contenta.", "es") == "sad"
    assert top("我不是很开心", "zh") == "sad"
    assert top("No, estoy triste.", "es") == "sad"  # "No," answers something else


def test_the_longest_entry_wins():
    """A compound or phrase holding an emotion word means what it means as a whole."""
    assert top("我不开心", "zh") == "sad"  # unhappy, not happy-negated-by-chance
    assert read_own_words("恐怕不行", "zh") is None  # "I'm afraid not": a hedge, no fear
    assert read_own_words("这个笑话不好笑", "zh") is None
    assert read_own_words("Vale la pena intentarlo.", "es") is None  # "worth it", not sorrow
    assert top("什么？你回来了？", "zh") == "surprised" and read_own_words("为什么？", "zh") is None  # "why?"
    assert read_own_words("我吃完饭了，你在干什么？", "zh") is None
    assert top("Me dio un susto, ¡no puedo creer que estés aquí!", "es") == "surprised"


def test_words_heard_with_doubt_are_not_read():
    """A guess must not decide (the rule of WordCues.channel_texts), and a doubtful word breaks a
    phrase and a negation's reach."""
    assert read_own_words("Me (da?) (asco?) lo que hizo.", "es") is None
    assert read_own_words("我(难过?)了", "zh") is None
    assert top("No (sé?) triste", "es") == "sad"


def test_a_word_said_twice_counts_once():
    once, twice = read_own_words("Tengo miedo.", "es"), read_own_words("Tengo miedo, mucho miedo.", "es")
    assert once.scores == twice.scores and [w for w, _ in twice.found] == ["miedo"]


def test_what_was_found_is_kept_as_written():
    reading = read_own_words("¡Estoy Furiosa! Y también triste.", "es")
    assert reading.found == [("Furiosa", "angry"), ("triste", "sad")]
    assert reading.to_dict() == {"language": "es", "found": [["Furiosa", "angry"], ["triste", "sad"]]}


def test_a_japanese_word_is_reported_in_its_form_not_its_stem():
    assert read_own_words("本当に怖い！", "ja").found == [("怖い", "fearful")]
    assert read_own_words("怖がっている", "ja").found == [("怖", "fearful")]  # an unlisted form: its stem


def test_a_phrase_is_reported_as_written():
    assert read_own_words("Das gibt's doch nicht!", "de").found == [("Das gibt's doch nicht", "surprised")]


def test_only_the_listed_languages_are_read():
    assert LANGUAGES == ("zh", "es", "de", "fr", "it", "pt", "ru", "id", "ja")
    assert read_own_words("Senang sekali.", "ms") is None  # Malay's "senang" is "easy"
    assert read_own_words("I am so sad.", "en") is None  # English is the sentence models' work
    assert read_own_words("Jestem bardzo smutny.", "pl") is None
    assert read_own_words("我很难过", None) is None
    assert language_of("cmn") == "zh" and language_of("ES") == "es" and language_of("zh-TW") == "zh"
    assert language_of("ita") == "it" and language_of("pt-BR") == "pt" and language_of("fr") == "fr"


@pytest.mark.parametrize("text, language", [
    ("我今天很开心", "zh"), ("今日はとても嬉しいです", "ja"), ("오늘 정말 행복해요", None), ("Estoy muy feliz de verte", "es"),
    ("Ich bin so wütend auf dich", "de"), ("I am so happy to see you", "en"), ("ok", None), ("", None),
    ("C'est inacceptable ! Je vous ai déjà dit trois fois de ne pas toucher à mes affaires !", "fr"),
    ("Sono molto felice di vederti", "it"), ("Estou muito triste hoje", "pt"), ("Я очень рад тебя видеть", "ru"),
    ("Saya sangat senang bertemu dengan kamu", "id"),
    # its shared function words ("con", "te", "mi", "una") are Spanish too: the Italian ones decide
    ("Sono davvero arrabbiato con te! Mi hai mentito ancora una volta, basta!", "it"),
    ("Me temo que le ha pasado algo terrible a mi hermano.", "es"),
    ("Is there anyone as frustrated as me?", "en"),  # "as" is Portuguese too
])
def test_the_language_of_a_given_text_is_guessed_or_left_open(text, language):
    assert guess_language(text) == language


@pytest.mark.parametrize("text, language, english", [
    ("Great job!", None, True), ("Terrible, just terrible.", None, True), ("I am so happy", None, True),
    ("Sono molto felice", None, False), ("Che bello!", None, False), ("Sun Ying Kai Fei Ji", None, False),
    ("Estoy harta", None, False), ("我很难过", None, False), ("Я очень рад", None, False),
    ("Hola", "en", True), ("Great job!", "es", False), ("", None, False),
    # most of its short words are in WordNet too ("est", "ai", "dit", "mes"): it passed as English
    ("C'est inacceptable ! Je vous ai déjà dit trois fois de ne pas toucher à mes affaires !", None, False),
])
def test_whether_the_english_models_may_read_a_given_text(text, language, english):
    assert reads_as_english(text, language) is english


def test_flat_sentences_have_no_reading():
    """Everyday sentences of real emotional-speech corpora hold no emotion word."""
    for text, language in (("Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.", "de"),
                           ("Der Lappen liegt auf dem Eisschrank.", "de"),
                           ("La reunión empieza mañana a las diez en la segunda sala.", "es"),
                           ("会议明天上午十点开始。", "zh"),
                           ("Gli operai si alzano presto.", "it"),  # EMOVO's scripts
                           ("I vigili sono muniti di pistola.", "it"),
                           ("Le train part demain matin à huit heures.", "fr"),
                           ("Heureusement, il est arrivé à l'heure.", "fr"),  # "fortunately", not "happy"
                           ("Enchanté, je m'appelle Paul.", "fr"),  # a greeting
                           ("A reunião começa amanhã às dez horas.", "pt"),
                           ("Vale a pena tentar.", "pt"),
                           ("Я слушаю радио каждый день.", "ru"),  # "радио", not "рад"
                           ("Поезд отправляется завтра в восемь утра.", "ru"),
                           ("Kereta berangkat besok pagi jam delapan.", "id"),
                           ("明日の朝八時に電車が出ます。", "ja")):
        assert read_own_words(text, language) is None


@pytest.mark.parametrize("text, language, turn", [
    ("¡Qué alegría verte! Estoy muy feliz de que hayas venido. Pero me has mentido otra vez. ¡Estoy furiosa contigo!",
     "es", ("happy", "angry")),
    ("我太高兴了！你又骗了我，我气死了！", "zh", ("happy", "angry")),  # a sentence ends at a full-width mark
    ("Ich bin so glücklich. Aber jetzt bin ich wütend!", "de", ("happy", "angry")),
    ("我太高兴了，可是我也很生气。", "zh", None),  # two feelings in one sentence: mixed, not a turn
    ("Sono triste. Sono molto triste.", "it", None),  # one feeling, said twice
    ("¡Estoy feliz! No estoy furiosa.", "es", None),  # the anger is denied
    ("Estoy triste. Estoy feliz. Estoy triste otra vez.", "es", None),  # back and forth
])
def test_own_language_words_that_turn(text, language, turn):
    """As the English reading's turn (evidence.words.turn_of): sentences whose feeling words show
    one emotion each, that emotion and then another. On EMER-v2's 311 real Chinese subtitles this
    finds 2 turns, and in both the later emotion is among those of the clip's description."""
    from affect_llm.evidence.words import words_evidence

    reading = read_own_words(text, language)
    assert reading.turn == turn
    assert words_evidence(None, own=reading).detail["turn"] == (list(turn) if turn else None)
