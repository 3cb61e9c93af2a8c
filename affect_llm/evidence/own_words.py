"""The person's words read in their own language: emotion words of Chinese, Spanish, German,
French, Italian, Portuguese, Russian, Indonesian and Japanese.

Why: the words channel's models (``evidence.words``) read English. Speech in another language
reaches them through Whisper's English translation, and that translation is the weakest link:
Whisper base translates Mandarin and Spanish loosely ("estoy muy feliz, es el mejor día de mi
vida" came out "I'm very happy, it's the best Niamimima."), often fails its checks (then nothing
is read), and translates a subtitle the user *gives* not at all: a Chinese subtitle was quoted,
never scored (now the speech's own English comes beside it, ``perception._translate_given``, as
a rough translation). Yet the plainest evidence in words is a word that names a feeling, and such a
word survives a bad translation in the original: "triste", "开心", "Angst".

So this module holds, per language, a short list of words and phrases that name or plainly
express one of the six emotions, written from general knowledge of each language (not from
any evaluation set), and reads a text against it:

* a *named* feeling ("triste", "生气", "wütend") counts ``NAMED``; a word that *expresses* one
  without naming it (crying "llorar", laughter "哈哈", a curse "maldito", "help!") counts
  ``EXPRESSED``; neutral keeps a prior ``NEUTRAL_PRIOR`` below one expressed word; a word said
  twice counts once;
* the longest entry wins, so a phrase or compound that contains an emotion word means what the
  phrase means: "不开心" (unhappy) is sad, "恐怕" (I'm afraid that, a hedge) and "vale la pena"
  (it is worth it) mean nothing;
* a negator just before an entry ("no estoy triste", "不怕", "keine Angst") takes it out; a
  negated happy word reads as a little sad (as ``words.LexiconModel`` does in English), any
  other negated word gives no reading;
* words heard with doubt ("(asco?)", ``affect_llm.doubt``) are not read: a guess must not decide
  (the rule of ``cues.WordCues.channel_texts``).

A text with no entry gives no reading (``None``), not "neutral": a short list is silent about
most sentences, and its silence is no evidence of calm. Matching ignores case and accents in the
spaced languages ("asustada" = "Asustada"; "dia" = "día") and reads Chinese character by
character, in simplified and traditional forms.

French, Italian, Portuguese, Russian, Indonesian and Japanese were added later, the same way
(general knowledge, no evaluation set): no labelled emotional speech in them with words that carry feeling is here, so
they are checked, not measured: none of the 84 Whisper transcripts of EMOVO's Italian scripts (flat
sentences, ``eval/results/real_speech_emovo_pipeline84.json``) gets a reading, and adverbs built
on an emotion word ("heureusement", fortunately; "malheureusement") are left out, as are stems
that begin other words ("рад" is listed whole: "радио" is a radio). Malay is not read with the
Indonesian list: its "senang" means easy. Whisper heard the Javanese corpora as Indonesian or
Malay, but with too many words in doubt for any list to find a word there.

What it cannot do: read sarcasm, context or any feeling not put in words; cover more than these
languages. Other languages are read through the translation alone, as before. English is the
sentence models' work, never this list's.
"""

from __future__ import annotations

import collections
import functools
import re
import unicodedata
from dataclasses import dataclass

from ..doubt import CJK, MARKED
from ..emotions import LABELS, NEUTRAL, Label, normalize
from . import one_turn

NAMED = 1.0
EXPRESSED = 0.5
NEUTRAL_PRIOR = 0.4  # as words.LexiconModel: any emotion word outweighs it
NEGATED_HAPPY_TO_SAD = 0.5
NEGATION_WINDOW = 3  # tokens (spaced languages) or characters (Chinese) before an entry

# An entry: surface form, label (None: a phrase that contains an emotion word but means none),
# weight. In spaced languages a form ending in "*" matches any word starting with it, and a form
# of several words matches those words in a row.
Entry = tuple[str, Label | None, float]


def _entries(label: Label | None, weight: float, forms: str) -> list[Entry]:
    return [(f, label, weight) for f in forms.split()]


def _phrases(label: Label | None, weight: float, *forms: str) -> list[Entry]:
    return [(f, label, weight) for f in forms]


# Mandarin, simplified and traditional where they differ.
ZH: list[Entry] = [
    *_entries("happy", NAMED, "高兴 高興 开心 開心 快乐 快樂 幸福 愉快 欢喜 歡喜 喜悦 喜悅 兴奋 興奮 欣慰 满意 滿意 "
              "太好了 太棒了 好极了 好極了 庆幸 慶幸 乐死了 樂死了"),
    *_entries("happy", EXPRESSED, "哈哈 呵呵 嘻嘻 嘿嘿 笑死 喜欢 喜歡 感激 棒极了 棒極了 恭喜 好棒 真棒 好玩 爱你 愛你"),
    *_entries("sad", NAMED, "难过 難過 伤心 傷心 悲伤 悲傷 痛苦 失望 沮丧 沮喪 孤独 孤獨 寂寞 委屈 心痛 心碎 绝望 絕望 "
              "不开心 不開心 不高兴 不高興 心情不好 郁闷 鬱悶 悲哀"),
    *_entries("sad", EXPRESSED, "哭 难受 難受 遗憾 遺憾 可惜 想念 可怜 可憐 唉 呜呜 嗚嗚 舍不得 捨不得 心疼 倒霉 倒楣 好惨 好慘 "
              "失恋 失戀"),
    *_entries("angry", NAMED, "生气 生氣 气死 氣死 愤怒 憤怒 恼火 惱火 火大 恨 烦死 煩死 好烦 好煩 真烦 真煩 烦人 煩人 "
              "闭嘴 閉嘴 混蛋 王八蛋 他妈的 他媽的 岂有此理 豈有此理 太过分 太過分 欺人太甚 发火 發火 发脾气 發脾氣 气愤 氣憤"),
    *_entries("angry", EXPRESSED, "过分 過分 受不了 滚 滾 狡辩 狡辯 撒谎 撒謊 骗子 騙子 凭什么 憑什麼 不满 不滿 讨厌 討厭 "
              "笨蛋 混账 混賬 该死 該死 去死 神经病 神經病 有病 废物 廢物 哼 胡说 胡說 放屁 住口 可恶 可惡 气人 氣人 "
              "不像话 不像話 搞什么 搞什麼"),
    *_entries("fearful", NAMED, "害怕 恐惧 恐懼 担心 擔心 吓死 嚇死 救命 慌张 慌張 心慌 焦虑 焦慮 恐怖 可怕 惊恐 驚恐"),
    *_entries("fearful", EXPRESSED, "怕 紧张 緊張 不安 吓 嚇 危险 危險 求求你 小心 快跑 糟了 糟糕"),
    *_entries("surprised", NAMED, "惊讶 驚訝 吃惊 吃驚 震惊 震驚 天哪 天啊 我的天 吓一跳 嚇一跳 不敢相信"),
    *_entries("surprised", EXPRESSED, "没想到 沒想到 居然 竟然 真的吗 真的嗎 不会吧 不會吧 怎么可能 怎麼可能 哇 咦 "
              "什么？ 什么！ 什么? 什么! 什麼？ 什麼！ 什麼? 什麼! 真的假的 怎么会 怎麼會 天呐 妈呀 媽呀 哇塞"),
    *_entries("disgusted", NAMED, "恶心 噁心 惡心 厌恶 厭惡 反感 呸 鄙视 鄙視"),
    *_entries("disgusted", EXPRESSED, "讨厌 討厭 看不起 无耻 無恥 不要脸 不要臉 变态 變態"),
    # Containing an emotion entry, meaning none: "I'm afraid that" (a hedge), "even if", "a joke",
    # "can't wait to", "weather", "polite", "trouble"; "why?", "doing what?", "when?" (not "what?!").
    *_entries(None, 0.0, "恐怕 哪怕 怕是 恨不得 笑话 笑話 玩笑 天气 天氣 客气 客氣 麻烦 麻煩 哭笑不得 为什么 為什麼 "
              "干什么 幹什麼 做什么 做什麼 什么时候 什麼時候"),
]
ZH_NEGATORS = ("不", "没", "沒", "别", "別", "未", "无", "無", "不要", "并不", "並不")

ES: list[Entry] = [
    *_entries("happy", NAMED, "feliz felices felicidad alegre alegres alegria contento contenta contentos contentas "
              "encantado encantada encantados encantadas dichoso dichosa"),
    *_phrases("happy", NAMED, "me alegro", "me alegra", "que bien", "que alegria"),
    *_phrases("happy", EXPRESSED, "me encanta", "gracias a dios"),
    *_entries("happy", EXPRESSED, "enhorabuena felicidades"),
    *_entries("happy", EXPRESSED, "genial maravilloso maravillosa fantastico fantastica estupendo estupenda "
              "emocionado emocionada jaja* orgulloso orgullosa"),
    *_entries("sad", NAMED, "triste tristes tristeza deprimido deprimida deprimidos depresion infeliz "
              "decepcionado decepcionada desconsolado desconsolada"),
    *_phrases("sad", NAMED, "me siento solo", "me siento sola"),
    *_entries("sad", EXPRESSED, "llorar lloro lloras llora lloraba llorando llore pena lastima murio desilusion*"),
    *_phrases("sad", EXPRESSED, "echo de menos", "extrano mucho", "te extrano", "la extrano", "lo extrano",
              "no puedo mas"),
    *_phrases("sad", NAMED, "me siento fatal"),
    *_entries("sad", NAMED, "destrozado destrozada"),
    *_phrases(None, 0.0, "vale la pena", "a duras penas"),  # "it is worth it", "barely"
    *_entries("angry", NAMED, "enojado enojada enojados enojadas enfadado enfadada enfadados enfadadas furioso furiosa "
              "furiosos furiosas furia ira rabia harto harta hartos hartas indignado indignada indignante "
              "cabreado cabreada odio odias odia odiar inaceptable callate"),
    *_entries("angry", EXPRESSED, "molesto molesta maldito maldita mierda idiota imbecil basta mentiste mentiroso "
              "mentirosa largate"),
    *_phrases("angry", EXPRESSED, "dejame en paz", "vete al diablo", "hasta las narices", "me cago en"),
    *_entries("fearful", NAMED, "miedo asustado asustada asustados asustadas aterrado aterrada aterrorizado "
              "aterrorizada terror panico preocupado preocupada preocupados socorro espanto"),
    *_entries("fearful", EXPRESSED, "temo nervioso nerviosa peligro angustia ayudame auxilio horror susto cuidado"),
    *_phrases("fearful", NAMED, "no me hagas dano"),
    *_entries("surprised", NAMED, "sorpresa sorprendido sorprendida sorprende asombrado asombrada"),
    *_phrases("surprised", NAMED, "no puedo creer", "no me lo puedo creer", "no lo puedo creer", "que sorpresa"),
    *_entries("surprised", EXPRESSED, "increible impresionado impresionada"),
    *_phrases("surprised", EXPRESSED, "dios mio", "madre mia", "no puede ser"),
    *_phrases("surprised", NAMED, "no me digas"),
    *_entries("disgusted", NAMED, "asco asqueroso asquerosa asquerosos repugnante repugna asquea nauseabundo "
              "guacala puaj"),
    *_entries("disgusted", EXPRESSED, "vomitar vomito nauseas desagradable"),
]
ES_NEGATORS = ("no", "nunca", "jamas", "ni", "tampoco", "sin", "nada")

DE: list[Entry] = [
    *_entries("happy", NAMED, "glucklich* froh frohe freue freut freude frohlich* juhu hurra"),
    *_entries("happy", EXPRESSED, "toll wunderbar herrlich super zufrieden erleichtert begeistert haha*"),
    *_phrases("happy", EXPRESSED, "wie schon", "ich liebe dich", "herzlichen gluckwunsch"),
    *_entries("sad", NAMED, "traurig* trauer unglucklich* deprimiert* enttauscht* einsam*"),
    *_entries("sad", EXPRESSED, "weinen weine weint weinte verzweifelt* schade vermisse gestorben"),
    *_entries("angry", NAMED, "wutend* wut zornig* zorn verargert* hasse hass hasst emport* stinksauer frechheit "
              "unverschamt*"),
    *_phrases("angry", NAMED, "halt den mund", "halt die klappe"),
    *_entries("angry", EXPRESSED, "sauer argerlich argert verdammt scheisse idiot mist verschwinde"),
    *_phrases("angry", NAMED, "hau ab"),
    *_phrases("angry", EXPRESSED, "lass mich in ruhe", "es reicht", "spinnst du"),
    *_entries("fearful", NAMED, "angst angstlich* furchte* furcht panik besorgt*"),
    *_phrases("fearful", NAMED, "mache mir sorgen", "macht mir sorgen"),
    *_entries("fearful", EXPRESSED, "hilfe nervos gefahr erschrocken vorsicht"),
    *_entries("surprised", NAMED, "uberrascht* uberraschung erstaunt*"),
    *_phrases("surprised", NAMED, "nicht zu fassen", "ach du meine gute"),
    *_entries("surprised", EXPRESSED, "unglaublich wow"),
    *_phrases("surprised", EXPRESSED, "mein gott", "echt jetzt"),
    *_phrases("surprised", NAMED, "das gibt es doch nicht", "das gibt s doch nicht", "ach du lieber himmel"),
    *_entries("disgusted", NAMED, "ekel ekelhaft* ekelig* eklig* ekelt widerlich* igitt pfui abscheulich* abstossend*"),
    *_phrases("disgusted", NAMED, "zum kotzen"),
]
DE_NEGATORS = ("nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "ohne")

FR: list[Entry] = [
    *_entries("happy", NAMED, "heureux heureuse heureuses joie joyeux joyeuse content contente contents contentes "
              "ravi ravie ravis ravies"),
    *_phrases("happy", NAMED, "je suis aux anges", "quel bonheur"),
    *_entries("happy", EXPRESSED, "genial geniale merveilleux merveilleuse formidable fantastique chouette youpi "
              "bravo felicitations haha* fier fiere"),
    *_phrases("happy", EXPRESSED, "trop bien", "je t aime", "j adore"),
    *_entries("sad", NAMED, "triste tristes tristesse malheureux malheureuse deprime deprimee deprimes decu "
              "decue decus decues chagrin desespere desesperee"),
    *_entries("sad", EXPRESSED, "pleurer pleure pleures pleurent pleurais pleurait pleurant dommage helas"),
    # Not "je n'en peux plus" (nor "não aguento mais", "не могу больше"): "I can't take it anymore" says
    # exasperation as often as exhaustion or despair, so it plainly shows no one emotion ("Je suis
    # furieux ! ... je n'en peux plus." was answered sad on it alone).
    *_phrases("sad", EXPRESSED, "tu me manques", "vous me manquez"),
    *_entries("angry", NAMED, "colere furieux furieuse furieuses enerve enervee enerves enervees fache fachee faches "
              "fachees rage deteste detestes inacceptable inadmissible"),
    *_phrases("angry", NAMED, "tais toi", "taisez vous", "j en ai marre", "ras le bol", "je te deteste", "je te hais"),
    *_entries("angry", EXPRESSED, "marre merde putain salaud salope connard connasse idiot idiote imbecile degage "
              "menteur menteuse enervant enervante"),
    *_phrases("angry", EXPRESSED, "fiche moi la paix", "fous moi la paix", "ca suffit"),
    *_entries("fearful", NAMED, "peur effraye effrayee terrifie terrifiee terreur panique angoiss* inquiet "
              "inquiete inquiets inquietes epouvante"),
    *_entries("fearful", EXPRESSED, "danger nerveux nerveuse"),
    *_phrases("fearful", NAMED, "au secours", "a l aide"),
    *_entries("surprised", NAMED, "surpris surprise surprises etonne etonnee stupefait stupefaite"),
    *_phrases("surprised", NAMED, "je n en reviens pas", "je n y crois pas", "quelle surprise"),
    *_entries("surprised", EXPRESSED, "incroyable waouh"),
    *_phrases("surprised", EXPRESSED, "mon dieu", "oh la la", "c est pas vrai", "sans blague"),
    *_entries("disgusted", NAMED, "degoutant degoutante degoute degoutee degout degueulasse ecoeurant ecoeure beurk "
              "berk repugnant repugnante"),
    *_entries("disgusted", EXPRESSED, "vomir nausee"),
]
FR_NEGATORS = ("ne", "n", "pas", "jamais", "sans", "rien", "aucun", "aucune")

IT: list[Entry] = [
    *_entries("happy", NAMED, "felice felici felicita contento contenta contenti contente allegro allegra allegri "
              "allegre gioia"),
    *_phrases("happy", NAMED, "che gioia"),
    *_entries("happy", EXPRESSED, "meraviglioso meravigliosa fantastico fantastica evviva splendido splendida "
              "congratulazioni auguri haha* orgoglioso orgogliosa"),
    *_phrases("happy", EXPRESSED, "che bello", "ti amo", "ti voglio bene"),
    *_entries("sad", NAMED, "triste tristi tristezza infelice depresso depressa deluso delusa delusi deluse "
              "disperato disperata addolorato addolorata"),
    *_entries("sad", EXPRESSED, "piangere piango piangi piange piangendo peccato"),
    *_phrases("sad", EXPRESSED, "mi manchi", "non ce la faccio piu"),
    *_entries("angry", NAMED, "arrabbiato arrabbiata arrabbiati arrabbiate furioso furiosa furiosi furiose rabbia "
              "incazzato incazzata odio odi inaccettabile"),
    *_phrases("angry", NAMED, "stai zitto", "stai zitta", "state zitti", "sta zitto"),
    *_entries("angry", EXPRESSED, "vaffanculo cazzo idiota stronzo stronza imbecille maledetto maledetta bugiardo "
              "bugiarda vattene basta"),
    *_phrases("angry", EXPRESSED, "lasciami in pace", "non ne posso piu"),
    *_entries("fearful", NAMED, "paura spaventato spaventata spaventati terrorizzato terrorizzata terrore panico "
              "preoccupato preoccupata preoccupati ansia"),
    *_entries("fearful", EXPRESSED, "aiuto pericolo aiutami nervoso nervosa"),
    *_entries("surprised", NAMED, "sorpreso sorpresa sorpresi stupito stupita sbalordito sbalordita"),
    *_phrases("surprised", NAMED, "non ci posso credere", "che sorpresa"),
    *_entries("surprised", EXPRESSED, "incredibile"),
    *_phrases("surprised", EXPRESSED, "mamma mia", "dio mio", "oddio", "non e possibile"),
    *_entries("disgusted", NAMED, "schifo disgustoso disgustosa disgusto ripugnante schifoso schifosa bleah"),
    *_entries("disgusted", EXPRESSED, "nausea nauseante vomitare"),
]
IT_NEGATORS = ("non", "mai", "senza", "nessun", "nessuno", "nessuna", "niente", "nulla")

PT: list[Entry] = [
    *_entries("happy", NAMED, "feliz felizes felicidade alegre alegres alegria contente contentes"),
    *_phrases("happy", NAMED, "que alegria"),
    *_entries("happy", EXPRESSED, "maravilhoso maravilhosa otimo otima fantastico fantastica adoro parabens "
              "kkk* haha* orgulhoso orgulhosa"),
    *_phrases("happy", EXPRESSED, "que bom", "que legal", "eu te amo"),
    *_entries("sad", NAMED, "triste tristes tristeza infeliz deprimido deprimida decepcionado decepcionada "
              "desesperado desesperada arrasado arrasada"),
    *_entries("sad", EXPRESSED, "chorar choro chora chorando chorei saudade saudades"),
    *_phrases("sad", EXPRESSED, "que pena"),
    *_entries("angry", NAMED, "raiva irritado irritada furioso furiosa zangado zangada odio odeio inaceitavel"),
    *_phrases("angry", NAMED, "cala a boca", "cale a boca"),
    *_entries("angry", EXPRESSED, "merda porra idiota imbecil desgracado desgracada mentiroso mentirosa"),
    *_phrases("angry", EXPRESSED, "me deixa em paz", "vai embora", "ja chega"),
    *_entries("fearful", NAMED, "medo assustado assustada apavorado apavorada panico terror preocupado preocupada "
              "socorro"),
    *_entries("fearful", EXPRESSED, "perigo nervoso nervosa ansioso ansiosa"),
    *_phrases("fearful", EXPRESSED, "me ajuda", "me ajude"),
    *_entries("surprised", NAMED, "surpreso surpresa espantado espantada chocado chocada"),
    *_phrases("surprised", NAMED, "nao acredito", "que surpresa"),
    *_entries("surprised", EXPRESSED, "incrivel"),
    *_phrases("surprised", EXPRESSED, "meu deus", "nossa senhora", "serio mesmo"),
    *_entries("disgusted", NAMED, "nojo nojento nojenta repugnante"),
    *_phrases("disgusted", NAMED, "que nojo"),
    *_entries("disgusted", EXPRESSED, "eca vomitar"),
]
PT_NEGATORS = ("nao", "nunca", "jamais", "sem", "nem", "nada", "nenhum", "nenhuma")

RU: list[Entry] = [
    *_entries("happy", NAMED, "рад рада рады счастлив* радост* радуюсь радуется весел* доволен довольна довольны"),
    *_entries("happy", EXPRESSED, "ура здорово отлично прекрасно замечательно чудесно хаха* горжусь"),
    *_phrases("happy", EXPRESSED, "я тебя люблю", "как хорошо", "поздравляю"),
    *_entries("sad", NAMED, "грустно грустн* печал* тоск* расстроен* несчаст* одинок* разочарован* депресси* "
              "горюю"),
    *_entries("sad", EXPRESSED, "плакать плачет плакала плакал плачут плачешь жаль скучаю умер умерла горе"),
    *_entries("angry", NAMED, "злюсь злишься злит зол зла злой злая бесит бесишь бесят бешенств* ярост* "
              "ненавижу ненавист* "
              "раздраж* возмущ* сердит* сержусь заткнись"),
    *_entries("angry", EXPRESSED, "черт блин идиот идиотка дурак дура сволочь гад отстань хватит врешь лжец "
              "вранье"),
    *_phrases("angry", NAMED, "оставь меня в покое", "пошел вон", "убирайся"),
    *_entries("fearful", NAMED, "страшно страх боюсь боишься боится испуг* паник* тревож* тревог* волнуюсь "
              "беспокоюсь"),
    *_entries("fearful", EXPRESSED, "помогите помоги опасно осторожно ужас"),
    *_entries("surprised", NAMED, "удивлен* удивительн* удивил* неожиданн*"),
    *_phrases("surprised", NAMED, "не может быть", "вот это да", "ничего себе"),
    *_entries("surprised", EXPRESSED, "ого вау неужели офигеть"),
    *_phrases("surprised", EXPRESSED, "боже мой", "да ладно"),
    *_entries("disgusted", NAMED, "отвратительн* противно мерзк* мерзость гадость омерзит* тошнит"),
    *_entries("disgusted", EXPRESSED, "фу тьфу"),
]
RU_NEGATORS = ("не", "нет", "ни", "никогда", "без")

ID: list[Entry] = [
    *_entries("happy", NAMED, "senang bahagia gembira girang riang sukacita"),
    *_entries("happy", EXPRESSED, "hore asyik asik mantap hebat bangga haha* wkwk*"),
    *_phrases("happy", EXPRESSED, "aku cinta kamu", "selamat ya"),
    *_entries("sad", NAMED, "sedih kecewa berduka murung pilu sengsara kesepian galau"),
    *_phrases("sad", NAMED, "patah hati", "putus asa"),
    *_entries("sad", EXPRESSED, "menangis nangis tangisan rindu kangen kasihan meninggal"),
    *_entries("angry", NAMED, "marah kesal jengkel geram murka benci sebal dongkol keterlaluan"),
    *_phrases("angry", NAMED, "kurang ajar", "tutup mulut"),
    *_entries("angry", EXPRESSED, "brengsek bangsat sialan bodoh goblok pembohong bohong"),
    *_entries("fearful", NAMED, "takut ketakutan cemas khawatir kuatir panik ngeri"),
    *_phrases("fearful", NAMED, "tolong aku", "tolong saya"),
    *_entries("fearful", EXPRESSED, "bahaya gugup awas seram"),
    *_entries("surprised", NAMED, "terkejut kaget heran"),
    *_phrases("surprised", NAMED, "tidak percaya", "tak percaya", "nggak percaya"),
    *_entries("surprised", EXPRESSED, "astaga wow"),
    *_phrases("surprised", EXPRESSED, "ya ampun", "masa sih", "kok bisa", "ya tuhan"),
    *_entries("disgusted", NAMED, "jijik menjijikkan muak"),
    *_entries("disgusted", EXPRESSED, "jorok"),
]
ID_NEGATORS = ("tidak", "tak", "bukan", "jangan", "belum", "nggak", "gak", "enggak", "ndak")

# Japanese, matched character by character as Chinese is. Negation follows the word in Japanese
# ("悲しくない", not sad), so the negated forms are entries of their own: the longest entry wins.
# A one-character stem (怒, 怖, 泣, 驚) finds any form of its word; the common forms are listed
# too, so the answer quotes "怖い", not "怖".
JA: list[Entry] = [
    *_entries("happy", NAMED, "嬉しい うれしい 嬉しかった うれしかった 幸せ しあわせ 楽しい たのしい 楽しかった 喜んで 喜び"),
    *_entries("happy", EXPRESSED, "最高 よかった 良かった やった 素晴らしい すばらしい 素敵 すてき 大好き おめでとう "
              "ははは"),
    *_entries("sad", NAMED, "悲しい かなしい 悲しかった 寂しい さびしい 淋しい 辛い つらい 切ない せつない 落ち込 "
              "がっかり 絶望"),
    *_entries("sad", EXPRESSED, "泣 泣いて 泣く 泣いた 泣きたい 残念 亡くな 死んだ 会いたい 嬉しくない 楽しくない"),
    *_entries("angry", NAMED, "怒 怒って 怒った 怒る 怒り 腹が立 腹立 むかつ ムカつ イライラ いらいら 頭にくる 頭に来 許さない 許せない ふざけるな "
              "ふざけんな 黙れ だまれ"),
    *_entries("angry", EXPRESSED, "最低 うるさい 馬鹿 バカ 畜生 ちくしょう くそ クソ 嫌い"),
    *_entries("fearful", NAMED, "怖 怖い 怖かった 怖くて こわい 恐い 恐ろし 恐怖 不安 心配 助けて たすけて"),
    *_entries("fearful", EXPRESSED, "危ない あぶない 危険"),
    *_entries("surprised", NAMED, "驚 驚いた 驚き 驚く びっくり まさか 信じられない"),
    *_entries("surprised", EXPRESSED, "嘘でしょ うそでしょ 本当に？ ほんとに？ 本当？ ほんと？"),
    *_entries("disgusted", NAMED, "気持ち悪い 気持ちわるい きもい キモい 気色悪 吐き気"),
    *_entries("disgusted", EXPRESSED, "汚い きたない 嫌だ いやだ"),
    # Containing an emotion entry, meaning none: the negated forms ("not sad", "not scared", "don't
    # worry", "not angry", "don't be angry"), and "worried about" said as a courtesy.
    *_entries(None, 0.0, "悲しくない 寂しくない 怖くない こわくない 心配ない 心配しないで 心配しなくて ご心配 怒ってない "
              "怒っていない 怒らないで 驚かない"),
]
JA_NEGATORS: tuple[str, ...] = ()  # negation follows the word: the entries above hold the negated forms

LEXICONS: dict[str, tuple[list[Entry], tuple[str, ...]]] = {
    "zh": (ZH, ZH_NEGATORS), "es": (ES, ES_NEGATORS), "de": (DE, DE_NEGATORS),
    "fr": (FR, FR_NEGATORS), "it": (IT, IT_NEGATORS), "pt": (PT, PT_NEGATORS), "ru": (RU, RU_NEGATORS),
    "id": (ID, ID_NEGATORS), "ja": (JA, JA_NEGATORS),
}
CHARACTER_LANGUAGES = ("zh", "ja")  # written without spaces: matched character by character
LANGUAGES = tuple(LEXICONS)
# Whisper's and ISO 639's other names for the same languages.
ALIASES = {"cmn": "zh", "yue": "zh", "zh-cn": "zh", "zh-tw": "zh", "spa": "es", "deu": "de", "ger": "de",
           "fra": "fr", "fre": "fr", "ita": "it", "por": "pt", "pt-br": "pt", "rus": "ru", "ind": "id", "jpn": "ja"}


@dataclass(frozen=True)
class OwnWordsReading:
    """What the list found in a text: scores over ``LABELS`` and the words behind them."""

    language: str
    scores: dict[Label, float]
    found: list[tuple[str, Label]]  # (the words as written in the text, a label they show), in order
    negated: list[str]  # emotion words found under a negator
    # (before, after): sentences whose feeling words show one emotion each, that emotion and then
    # another (``evidence.words.turn_of`` for this list); None otherwise
    turn: tuple[Label, Label] | None = None

    def to_dict(self) -> dict:
        return {"language": self.language, "found": [[w, lab] for w, lab in self.found],
                **({"negated": self.negated} if self.negated else {})}


def fold(text: str) -> str:
    """Lower case without accents ("Día" -> "dia", "wütend" -> "wutend", "ß" -> "ss")."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def language_of(language: str | None) -> str | None:
    """The lexicon's key for ``language`` (an ISO code, as Whisper gives it), or None."""
    if not language:
        return None
    code = language.strip().lower()
    code = ALIASES.get(code, code.split("-")[0].split("_")[0])
    return code if code in LEXICONS else None


Meaning = tuple[tuple[Label, float], ...]  # what an entry shows: () for a phrase that means no emotion
Match = tuple[str, Meaning]  # the words as written, and their meaning

_WORD = re.compile(r"\w+", re.UNICODE)
_HOLE = "\u2063"  # where a doubtful word stood: no phrase, compound or negation reaches across it
_CLAUSE = ",.;:!?¡¿，。！？；：、"


@functools.cache
def _index(lang: str) -> tuple[dict[str, Meaning], dict[str, Meaning], int]:
    """The list of ``lang`` as exact forms (folded, words joined by one space; Chinese as
    written) and prefixes, and
    the longest exact form's length (characters in Chinese, words elsewhere)."""
    entries, _ = LEXICONS[lang]
    exact: dict[str, list[tuple[Label, float]]] = {}
    prefixes: dict[str, list[tuple[Label, float]]] = {}
    for form, label, weight in entries:
        key = form if lang in CHARACTER_LANGUAGES else " ".join(fold(form).split())  # Chinese, Japanese: as written
        table = prefixes if key.endswith("*") else exact
        meaning = table.setdefault(key.rstrip("*"), [])
        if label is not None and (label, weight) not in meaning:
            meaning.append((label, weight))
    size = (lambda k: len(k)) if lang in CHARACTER_LANGUAGES else (lambda k: len(k.split()))
    return ({k: tuple(v) for k, v in exact.items()}, {k: tuple(v) for k, v in prefixes.items()},
            max(size(k) for k in exact))


def read_own_words(text: str | None, language: str | None) -> OwnWordsReading | None:
    """The list's reading of ``text`` in ``language``, or None (no list for the language, no text,
    or no emotion word in it). Words in the doubt mark are left out."""
    lang = language_of(language)
    if lang is None or not text or not text.strip():
        return None
    heard = MARKED.sub(f" {_HOLE} ", text)
    units = list(heard) if lang in CHARACTER_LANGUAGES else _tokens(heard)
    found, negated = _scan(units, lang, heard)
    found = list(dict.fromkeys(found))  # "哈哈 ... 哈哈", "miedo ... miedo": a word said twice is one word
    if not found and not any(label == "happy" for _, meaning in negated for label, _ in meaning):
        return None  # nothing, or only "not sad", "不怕": no feeling named, no reading
    acc = dict.fromkeys(LABELS, 0.0)
    acc[NEUTRAL] = NEUTRAL_PRIOR
    for _, meaning in found:
        for label, weight in meaning:
            acc[label] += weight
    for _, meaning in negated:
        for label, weight in meaning:
            if label == "happy":
                acc["sad"] += weight * NEGATED_HAPPY_TO_SAD
    return OwnWordsReading(language=lang, scores=normalize(acc),
                           found=[(w, label) for w, meaning in found for label, _ in meaning],
                           negated=[w for w, _ in negated], turn=_turn(heard, lang))


_SENTENCE_END = re.compile(r"(?<=[.!?\u2026\u3002\uff01\uff1f])\s*")


def _turn(text: str, lang: str) -> tuple[Label, Label] | None:
    """The own-language words' turn: the sentences whose feeling words (not negated) all show one
    emotion, in order, say one emotion and then another, and do not go back ("¡Qué alegría verte!
    Estoy muy feliz ... ¡Estoy furiosa contigo!" -> happy, angry). A sentence holding words of two
    emotions says neither plainly. Why: the reading of the whole named happiness and left the
    anger the speaker ended on unnamed, as the English reading did before ``turn_of``."""
    plain: list[Label] = []
    for sentence in (part for part in _SENTENCE_END.split(text) if part.strip()):
        units = list(sentence) if lang in CHARACTER_LANGUAGES else _tokens(sentence)
        labels = {label for _, meaning in _scan(units, lang, sentence)[0] for label, _ in meaning}
        if len(labels) == 1:
            plain.append(labels.pop())
    return one_turn(plain)


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(as written, folded, start, end) words; punctuation and doubt holes become a boundary ("|")."""
    out: list[tuple[str, str, int, int]] = []
    for m in re.finditer(r"\w+|[" + re.escape(_CLAUSE) + "]|" + _HOLE, text):
        word = m.group(0)
        out.append((word, "|" if (word in _CLAUSE or word == _HOLE) else fold(word), m.start(), m.end()))
    return out


def _scan(units: list, lang: str, text: str) -> tuple[list[Match], list[Match]]:
    """Left to right, the longest entry first; an entry with a negator among the few units
    before it (not across a boundary) is negated. Chinese units are characters, others words
    (with their place in ``text``, so a phrase is reported as written: "gibt's", not "gibt s")."""
    exact, prefixes, longest = _index(lang)
    negators = LEXICONS[lang][1]
    by_character = lang in CHARACTER_LANGUAGES  # Chinese, Japanese: the units are characters
    keys = [u if by_character else u[1] for u in units]
    boundary = (lambda k: k in _CLAUSE or k == _HOLE or k.isspace()) if by_character else (lambda k: k == "|")
    joiner = "" if by_character else " "
    found: list[Match] = []
    negated: list[Match] = []
    i = 0
    while i < len(keys):
        meaning: Meaning | None = None
        size = 0
        for n in range(min(longest, len(keys) - i), 0, -1):
            meaning = exact.get(joiner.join(keys[i:i + n]))
            if meaning is not None:
                size = n
                break
        if meaning is None and not by_character and not boundary(keys[i]):
            meaning = next((m for stem, m in prefixes.items() if keys[i].startswith(stem)), None)
            size = 1
        if meaning is None:
            i += 1
            continue
        if meaning:
            before = keys[max(0, i - NEGATION_WINDOW):i]
            cut = max((j + 1 for j, k in enumerate(before) if boundary(k)), default=0)
            before = before[cut:]
            is_negated = (any(n in joiner.join(before) for n in negators) if by_character
                          else any(k in negators for k in before))
            words = "".join(units[i:i + size]) if by_character else text[units[i][2]:units[i + size - 1][3]]
            (negated if is_negated else found).append((words, meaning))
        i += size
    return found, negated


# --- which language a given text is in --------------------------------------------------------

_MARKERS = {
    "es": frozenset("el la los las un una y que de en es no por con para mi me te se lo su estoy estas esta "
                    "muy pero porque yo tu usted le les ha he has han al del hay eso esto".split()),
    "de": frozenset("der die das und ist nicht ich du er sie wir ein eine mit auf den dem zu von es bin bist "
                    "sind war habe hast mich dich".split()),
    "en": frozenset("the a an and is are was were i you he she it we they to of in on that this not my your "
                    "me do did have has what why how as there be for with so".split()),
    # Languages without a word list of their own are still told from English: otherwise a French
    # subtitle, most of whose short words WordNet also holds ("est", "ai", "dit", "mes"), passed
    # as English, the English models read it, and "C'est inacceptable ! Je vous ai déjà dit trois
    # fois ..." carried "no clear emotion", with no translation asked for.
    "fr": frozenset("le la les un une des du et est je tu il elle nous vous ils elles ne pas que qui dans pour "
                    "avec sur mon ma mes ce cette suis ai au aux".split()),
    "it": frozenset("il lo gli la le un una e che di da non sono sei mi ti si ma perche io tu lui lei noi voi "
                    "questo questa molto nel della con per del anche ancora come cosa ho hai ha te ci piu".split()),
    "pt": frozenset("o os as um uma e que do da em no na com para nao eu voce ele ela nos meu minha estou esta "
                    "muito mas porque".split()),
    "ru": frozenset(fold("и в не на я что он она с как а то это так его но да ты к у же вы за бы по мне меня "
                         "мы они был была очень").split()),
    "id": frozenset("yang dan di ini itu dengan untuk tidak ada aku saya kamu dia kita kami akan sudah juga ke "
                    "dari sangat".split()),
}


# How many languages list each function word (:func:`guess_language`).
_MARKER_LANGUAGES = collections.Counter(w for words in _MARKERS.values() for w in words)


def guess_language(text: str | None) -> str | None:
    """A given text's language when no one said it: "zh" for text written mostly in Chinese
    characters, "ja" where Japanese kana are among them (Korean hangul: None), else the language
    whose common function words weigh most among the words, once such words make up at least one
    in six; None when unsure."""
    if not text or not text.strip():
        return None
    letters = [ch for ch in text if ch.isalpha()]
    if letters:
        cjk = sum(bool(CJK.match(ch)) for ch in letters)
        if cjk / len(letters) >= 0.5:
            kana = sum("\u3040" <= ch <= "\u30ff" for ch in letters)
            hangul = sum("\uac00" <= ch <= "\ud7af" for ch in letters)
            return None if hangul else "ja" if kana else "zh"
    tokens = [fold(t) for t in _WORD.findall(text)]
    if not tokens:
        return None
    shares = {lang: sum(t in words for t in tokens) / len(tokens) for lang, words in _MARKERS.items()}
    if max(shares.values()) * 6 < 1:
        return None
    # A function word several languages share ("con", "mi", "una": Spanish and Italian) counts
    # for each of them by share, so the words only one language has decide: "Sono davvero
    # arrabbiato con te! Mi hai mentito ancora una volta" was guessed Spanish on its shared words.
    weighted = {lang: sum(1.0 / _MARKER_LANGUAGES[t] for t in tokens if t in words) for lang, words in _MARKERS.items()}
    first, second = sorted(weighted.values(), reverse=True)[:2]
    return None if first == second else max(weighted, key=lambda k: weighted[k])


def reads_as_english(text: str | None, language: str | None = None) -> bool:
    """Whether the English models may read a given text (a subtitle, with no translation).

    A stated language wins. Otherwise the guess (:func:`guess_language`) decides; a text too
    short for a guess ("Great job!", "Terrible, just terrible.": no function word) is English
    when at least half its words are English words (WordNet 3.0, or the English function
    words). Without that, a short English subtitle went unread; "Sono molto felice", "Che
    bello!" and pinyin ("Sun Ying Kai Fei Ji") stay below half and are not read as English.
    """
    if language:
        return language.strip().lower().startswith("en")
    if not text or not text.strip():
        return False
    guess = guess_language(text)
    if guess is not None:
        return guess == "en"
    tokens = [t.lower() for t in _WORD.findall(text) if t.isalpha()]
    if not tokens or any(CJK.match(ch) for t in tokens for ch in t):
        return False
    return 2 * sum(_english_word(t) for t in tokens) >= len(tokens)


@functools.lru_cache(maxsize=4096)
def _english_word(token: str) -> bool:
    if token in _MARKERS["en"]:
        return True
    from ..scoring.wordnet import load_wordnet

    wn = load_wordnet()
    return bool(wn.synsets(token) or wn.morphy(token))

