"""Golden normalization cases: ≥5 per ZTTS1 language, plus hard cases, for both variants.

Each expectation was checked by hand against the documented rules in ztts_eval/metrics/wer/text_norm.py;
a change here is a normalizer change and must bump NORMALIZER_VERSION.
"""

from __future__ import annotations

import pytest

from ztts_eval.languages import LANGUAGES
from ztts_eval.metrics.wer.rows import transcript_row, unit_for
from ztts_eval.metrics.wer.text_norm import normalize, normalizer_id, strip_asr_control

GOLDEN = [
    ("en", "Mr. Smith paid $20.50 for it.", "mister smith paid $20.50 for it"),
    ("en", "In eighteen thirteen.", "in 1813"),
    ("en", "It's the 3rd time (really) today!", "it is the 3rd time really today"),
    ("en", "I can't believe it's 100% done.", "i can not believe it is 100% done"),
    ("en", "Colour & flavour: organise them.", "color flavor organize them"),
    ("en", "language English<asr_text>Hello, World!", "hello world"),
    ("zh", "今天天气很好，我们去公园散步吧。", "今天天气很好 我们去公园散步吧"),
    ("zh", "這是一個測試。", "这是一个测试"),
    ("zh", "我有３个苹果！", "我有3个苹果"),
    ("zh", "他说：“你好”。", "他说 你好"),
    ("zh", "GPT-4模型很强大。", "gpt 4模型很强大"),
    ("zh", "你好 <|endoftext|> 世界", "你好 世界"),
    ("de", "Der Zug fährt um acht Uhr ab.", "der zug fährt um acht uhr ab"),
    ("de", "Größe und Maß sind wichtig!", "größe und maß sind wichtig"),
    ("de", "„Guten Tag“, sagte er.", "guten tag sagte er"),
    ("de", "Es kostet 5 €.", "es kostet 5"),
    ("de", "Über-Ich ist ein Begriff.", "über ich ist ein begriff"),
    ("es", "¿Dónde está la estación?", "dónde está la estación"),
    ("es", "¡Qué día tan bonito!", "qué día tan bonito"),
    ("es", "El niño comió 3 manzanas.", "el niño comió 3 manzanas"),
    ("es", "Señor Pérez, bienvenido.", "señor pérez bienvenido"),
    ("es", "«Hola», dijo ella.", "hola dijo ella"),
    ("fr", "Le chat dort sur le canapé.", "le chat dort sur le canapé"),
    ("fr", "L'homme est arrivé à 8 h.", "l homme est arrivé à 8 h"),
    ("fr", "« Bonjour », dit-elle.", "bonjour dit elle"),
    ("fr", "C'est très élégant !", "c est très élégant"),
    ("fr", "Où est la bibliothèque ?", "où est la bibliothèque"),
    ("it", "Perché non vieni con noi?", "perché non vieni con noi"),
    ("it", "L'università è chiusa.", "l università è chiusa"),
    ("it", "Città, più, così.", "città più così"),
    ("it", "Ho 25 anni.", "ho 25 anni"),
    ("it", "È già tardi!", "è già tardi"),
    ("ja", "今日はいい天気ですね。", "今日はいい天気ですね"),
    ("ja", "東京タワーに行きました！", "東京タワーに行きました"),
    ("ja", "「こんにちは」と言った。", "こんにちは と言った"),
    ("ja", "ＡＢＣ１２３", "abc123"),
    ("ja", "カタカナとひらがな。", "カタカナとひらがな"),
    ("ko", "안녕하세요, 반갑습니다.", "안녕하세요 반갑습니다"),
    ("ko", "오늘 날씨가 좋네요!", "오늘 날씨가 좋네요"),
    ("ko", "저는 학생입니다.", "저는 학생입니다"),
    ("ko", "서울에 갑니다?", "서울에 갑니다"),
    ("ko", "가격은 ５천 원입니다.", "가격은 5천 원입니다"),
    ("ru", "Привет, как дела?", "привет как дела"),
    ("ru", "Ёлка стоит в углу.", "ёлка стоит в углу"),
    ("ru", "«Да», — сказал он.", "да сказал он"),
    ("ru", "Москва — столица России.", "москва столица россии"),
    ("ru", "У меня 3 кошки!", "у меня 3 кошки"),
    ("ar", "مرحبا، كيف حالك؟", "مرحبا كيف حالك"),
    ("ar", "السَّلَامُ عَلَيْكُمْ", "السلام عليكم"),
    ("ar", "ذهبت إلى المدرسة.", "ذهبت إلى المدرسة"),
    ("ar", "هذا كتاب جميل!", "هذا كتاب جميل"),
    ("ar", "عندي ٣ أقلام.", "عندي 3 أقلام"),
    ("hi", "नमस्ते, आप कैसे हैं?", "नमस्ते आप कैसे हैं"),
    ("hi", "मैं स्कूल जा रहा हूँ।", "मैं स्कूल जा रहा हूँ"),
    ("hi", "यह बहुत अच्छा है!", "यह बहुत अच्छा है"),
    ("hi", "भारत एक देश है।", "भारत एक देश है"),
    ("hi", "मेरे पास ३ किताबें हैं।", "मेरे पास 3 किताबें हैं"),
    ("id", "Selamat pagi, apa kabar?", "selamat pagi apa kabar"),
    ("id", "Saya pergi ke pasar.", "saya pergi ke pasar"),
    ("id", "Harganya Rp 5.000!", "harganya rp 5 000"),
    ("id", "Ini buku-buku saya.", "ini buku buku saya"),
    ("id", "Terima kasih banyak.", "terima kasih banyak"),
    ("pl", "Dzień dobry, jak się masz?", "dzień dobry jak się masz"),
    ("pl", "Zażółć gęślą jaźń.", "zażółć gęślą jaźń"),
    ("pl", "Mam 2 koty!", "mam 2 koty"),
    ("pl", "Łódź to duże miasto.", "łódź to duże miasto"),
    ("pl", "Proszę bardzo.", "proszę bardzo"),
    ("pt", "Olá, tudo bem?", "olá tudo bem"),
    ("pt", "A ação foi rápida.", "a ação foi rápida"),
    ("pt", "Não sei, São Paulo?", "não sei são paulo"),
    ("pt", "Ele tem 30 anos.", "ele tem 30 anos"),
    ("pt", "Você é muito gentil!", "você é muito gentil"),
    ("th", "สวัสดีครับ", "สวัสดีครับ"),
    ("th", "ฉันไปตลาด", "ฉันไปตลาด"),
    ("th", "วันนี้อากาศดี!", "วันนี้อากาศดี"),
    ("th", "ขอบคุณมาก ๆ", "ขอบคุณมาก ๆ"),
    ("th", "ภาษาไทย ๑๒๓", "ภาษาไทย 123"),
    ("tl", "Magandang umaga po!", "magandang umaga po"),
    ("tl", "Salamat sa iyo.", "salamat sa iyo"),
    ("tl", "Ako ay pupunta sa palengke.", "ako ay pupunta sa palengke"),
    ("tl", "Kumusta ka na?", "kumusta ka na"),
    ("tl", "Mahal kita, 'di ba?", "mahal kita di ba"),
    ("tr", "Günaydın, nasılsın?", "günaydın nasılsın"),
    ("tr", "İstanbul çok güzel!", "istanbul çok güzel"),
    ("tr", "Işık ve ılık.", "ışık ve ılık"),
    ("tr", "Çocuklar okula gitti.", "çocuklar okula gitti"),
    ("tr", "5 elma aldım.", "5 elma aldım"),
]


def test_every_language_has_at_least_five_cases():
    counts = {lang: sum(1 for g in GOLDEN if g[0] == lang) for lang in LANGUAGES}
    assert all(n >= 5 for n in counts.values()), counts


@pytest.mark.parametrize("language,text,expected", GOLDEN)
def test_golden(language, text, expected):
    assert normalize(text, language) == expected


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_empty_output_normalizes_to_empty(language):
    assert normalize("", language) == ""
    assert normalize(" <|im_end|> ", language) == ""


def test_control_tokens_and_prefixes_are_stripped():
    assert strip_asr_control("language Chinese<asr_text>你好<|im_end|>") == "你好"
    assert strip_asr_control("<|endoftext|>hello</asr_text>") == "hello"
    assert strip_asr_control("the language of love") == "the language of love"  # not a prefix


def test_traditional_and_simplified_chinese_match_on_both_sides():
    row = transcript_row("w", "這是一個測試。", "这是一个测试", "zh")
    assert row["w"] == 0.0 and row["unit"] == "char"


def test_seedtts_variant_reproduces_seed_tts_eval():
    # punctuation removed except apostrophes, English lowercased, numbers untouched
    assert normalize("Hello, World! It's 5 o'clock.", "en", "seedtts") == "hello world it's 5 o'clock"
    # Chinese: punctuation removed, no case change; only the ASR hypothesis goes to simplified
    assert normalize("今天，天气很好。", "zh", "seedtts") == "今天天气很好"
    assert normalize("這是測試", "zh", "seedtts", side="ref") == "這是測試"
    assert normalize("這是測試", "zh", "seedtts", side="hyp") == "这是测试"
    # no number normalization in seedtts: "1813" vs "eighteen thirteen" is an error there
    row = transcript_row("w", "In eighteen thirteen.", "in 1813", "en", variant="seedtts")
    assert (
        row["w"] == pytest.approx(100 * 2 / 3)
        and (row["S"], row["D"]) == (1, 1)
        and row["normalizer"].startswith("ztts-norm-")
        and "/seedtts" in row["normalizer"]
    )


def test_units_table_and_overrides():
    assert [unit_for(l) for l in ("zh", "ja", "ko", "th", "en", "ar")] == ["char"] * 4 + ["word"] * 2
    assert unit_for("th", {"th": "word"}) == "word"
    with pytest.raises(ValueError):
        unit_for("en", {"en": "phoneme"})


def test_row_stores_both_units_and_the_normalizer_version():
    row = transcript_row("w", "the cat sat", "the bat sat", "en")
    assert (row["S"], row["D"], row["I"], row["N"]) == (1, 0, 0, 3)
    assert row["alt"] == {"unit": "char", "S": 1, "D": 0, "I": 0, "N": 9}
    assert row["normalizer"] == normalizer_id("ztts")


def test_unknown_variant_is_rejected():
    with pytest.raises(ValueError, match="variant"):
        normalize("x", "en", "kaldi")
