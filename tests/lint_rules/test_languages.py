"""Issue 12 item 2: every language our users write is identified and judged by its own data.

For each of en, zh, de, es, fr, pt, it, ru, tr, ar: the language is identified, a pile of its
spam wording is found, its opt-out sentence and postal address are recognised, and its
readability formula (or none) is used.
"""

from __future__ import annotations

import pytest

from preflight.lint.language import LANGUAGES, identify
from preflight.lint.readability import readability

from .conftest import findings, make_draft

# (normal business prose, spam pile, opt-out sentence, postal address)
SAMPLES: dict[str, tuple[str, str, str, str]] = {
    "en": (
        "We cast stainless valve bodies for pump makers in Germany and Poland and ship to "
        "Sweden within three weeks. Would drawings of two bodies in your size range help?",
        "Special offer, 100% free samples, order now, limited time, act now, no obligation.",
        "If you would rather not hear from me again, just reply and let me know.",
        "Hangzhou Valves Co., Ltd., No. 88 Wensan Road, Hangzhou 310012, China",
    ),
    "zh": (
        "您好，我们是杭州的一家阀门制造商，主要生产不锈钢阀体，已经为欧洲客户服务了十二年。"
        "请问您是否需要我们寄送图纸？",
        "限时优惠！免费送样品，最低价，马上抢购，名额有限，不要错过！",
        "如果您不希望再收到我们的邮件，请回复退订。",
        "浙江省杭州市西湖区文三路88号",
    ),
    "de": (
        "Wir gießen Ventilgehäuse aus Edelstahl für Pumpenhersteller in Deutschland und Polen "
        "und liefern innerhalb von drei Wochen. Hätten Sie Interesse an Zeichnungen?",
        "KOSTENLOSE Muster zum besten Preis! Jetzt bestellen, nur für kurze Zeit, Sonderangebot.",
        "Wenn Sie keine weiteren E-Mails von mir wünschen, antworten Sie kurz mit Nein.",
        "Musterstraße 12, 80331 München",
    ),
    "es": (
        "Somos fabricantes de válvulas de acero inoxidable y exportamos a España desde hace "
        "diez años. ¿Le interesaría recibir los planos de dos modelos?",
        "¡Oferta limitada! Muestras GRATIS, compre ahora, precio increíble, no se lo pierda.",
        "Si no desea recibir más correos, responda con la palabra baja.",
        "Calle de Alcalá 45, 28014 Madrid",
    ),
    "fr": (
        "Nous fabriquons des corps de vannes en acier inoxydable pour les fabricants de pompes "
        "et livrons en France en trois semaines. Souhaitez-vous recevoir nos plans ?",
        "Offre exceptionnelle, prix cassé, échantillons GRATUIT, durée limitée, cliquez ici.",
        "Si vous ne souhaitez plus recevoir nos messages, répondez simplement STOP.",
        "12 rue de la Paix, 75002 Paris",
    ),
    "pt": (
        "Somos fabricantes de corpos de válvulas em aço inoxidável e exportamos para o Brasil "
        "há dez anos. Gostaria de receber os desenhos de dois modelos?",
        "PROMOÇÃO IMPERDÍVEL, amostras grátis, compre já, oferta por tempo limitado, clique aqui.",
        "Se não deseja receber mais e-mails, responda com a palavra sair.",
        "Rua Augusta 1500, 01304-001 São Paulo",
    ),
    "it": (
        "Siamo un produttore di corpi valvola in acciaio inossidabile e spediamo in Italia in "
        "tre settimane. Le interesserebbe ricevere i disegni di due modelli?",
        "Offerta speciale, campioni gratis, acquista ora, solo oggi, clicca qui, senza impegno.",
        "Se non desidera ricevere altre email, risponda con la parola stop.",
        "Via Roma 12, 20121 Milano",
    ),
    "ru": (
        "Мы производим корпуса клапанов из нержавеющей стали для производителей насосов и "
        "поставляем их в Россию за три недели. Прислать вам чертежи двух моделей?",
        "АКЦИЯ! Скидка 40%, только сегодня, БЕСПЛАТНО, спешите, выгодное предложение.",
        "Если вы не хотите получать наши письма, ответьте словом стоп.",
        "ул. Ленина, д. 5, 630099 Новосибирск",
    ),
    "tr": (
        "Pompa üreticileri için paslanmaz çelik vana gövdeleri üretiyoruz ve Türkiye'ye üç "
        "hafta içinde teslim ediyoruz. İki modelin çizimlerini göndermemi ister misiniz?",
        "Ücretsiz numune, süper indirim, hemen satın al, sadece bugün, kaçırmayın, tıklayın.",
        "Bu e-postaları almak istemiyorsanız lütfen hayır yazarak yanıtlayın.",
        "Atatürk Cad. No: 12, 34000 İstanbul",
    ),
    "ar": (
        "نحن شركة مصنعة لأجسام الصمامات من الفولاذ المقاوم للصدأ ونشحن إلى الإمارات خلال ثلاثة "
        "أسابيع. هل ترغب في أن نرسل لك الرسومات الخاصة بنموذجين؟",
        "عرض خاص، عينات مجانا، اطلب الآن، اليوم فقط، لا تفوت، اضغط هنا، خصم كبير.",
        "إذا كنت لا ترغب في تلقي رسائلنا، يرجى الرد بكلمة إلغاء الاشتراك.",
        "شارع الشيخ زايد، مبنى 12، دبي",
    ),
}


def _letter(language: str, *parts: str) -> str:
    return "\n\n".join(parts) + "\n"


def test_every_language_has_a_sample() -> None:
    assert set(SAMPLES) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_language_is_identified(language: str) -> None:
    prose = SAMPLES[language][0]
    assert identify(prose) == language
    assert make_draft(text=_letter(language, prose), html=None).language == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_spam_wording_is_found_in_each_language(language: str) -> None:
    prose, spam, opt_out, postal = SAMPLES[language]
    draft = make_draft(text=_letter(language, prose, spam, opt_out, postal), html=None)
    found = {f.code: f for f in findings(draft)}
    assert "TXT103" in found, sorted(found)
    assert found["TXT103"].points >= 1.5  # a pile of phrases, not one weak word


@pytest.mark.parametrize("language", LANGUAGES)
def test_opt_out_and_postal_address_are_recognised_in_each_language(language: str) -> None:
    prose, _, opt_out, postal = SAMPLES[language]
    draft = make_draft(text=_letter(language, prose, postal, opt_out), html=None)
    found = {f.code for f in findings(draft)}
    assert "SND604" not in found and "SND605" not in found, sorted(found)
    bare = {f.code for f in findings(make_draft(text=_letter(language, prose), html=None))}
    assert {"SND604", "SND605"} <= bare


@pytest.mark.parametrize(
    ("language", "formula"),
    [
        ("en", "Flesch reading ease"),
        ("de", "Amstad reading ease"),
        ("es", "Fernández Huerta"),
        ("fr", "Kandel-Moles reading ease"),
        ("it", "Flesch-Vacca reading ease"),
        ("ru", "Oborneva reading ease"),
        ("ar", "Osman index"),
        ("pt", None),
        ("tr", None),
        ("zh", None),
    ],
)
def test_readability_uses_each_languages_own_formula_or_none(
    language: str, formula: str | None
) -> None:
    result = readability(SAMPLES[language][0] * 3, language)
    if formula is None:
        assert result is None
    else:
        assert result is not None and result.formula == formula
        assert -100 < result.score < 250


def test_turkish_is_never_judged_by_english_flesch() -> None:
    long_turkish = " ".join([SAMPLES["tr"][0]] * 6)
    draft = make_draft(text=_letter("tr", long_turkish), html=None)
    assert "WRT702" not in {f.code for f in findings(draft)}


def test_german_nouns_are_not_title_case() -> None:
    text = (
        "Sehr geehrte Frau Berg,\n\nunsere Firma liefert Ventilgehäuse, Pumpenteile, Flansche "
        "und Dichtungen aus Edelstahl an Maschinenbauer in Bayern, Sachsen und Österreich. Die "
        "Lieferzeit beträgt drei Wochen, die Zeichnungen senden wir Ihnen gern.\n"
    )
    draft = make_draft(text=text, html=None)
    assert draft.language == "de"
    assert "TXT112" not in {f.code for f in findings(draft)}


def test_chinese_is_counted_in_words_not_characters() -> None:
    text = SAMPLES["zh"][0] * 4
    draft = make_draft(text=text, html=None)
    characters = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    assert characters / 2.2 < draft.word_count < characters / 1.5


def test_ma_shang_in_a_normal_reply_is_not_urgency() -> None:
    text = (
        "王经理您好：\n\n收到您的订单，我马上安排生产，立即通知仓库备货，下周发货。\n\n"
        "顺祝商祺！\n李伟\n"
    )
    draft = make_draft(text=text, html=None, headers={"In-Reply-To": "<po-77@buyer.example>"})
    assert "TXT104" not in {f.code for f in findings(draft)}


def test_selling_urgency_in_chinese_still_counts() -> None:
    draft = make_draft(text=SAMPLES["zh"][1] * 2, html=None)
    assert "TXT104" in {f.code for f in findings(draft)}


def test_a_standard_confidentiality_notice_is_not_a_spam_phrase() -> None:
    notice = (
        "\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended "
        "solely for the addressee. If you have received it in error, please delete it.\n"
    )
    draft = make_draft(text=SAMPLES["en"][0] + "\n\nBest regards,\nLi Wei\n" + notice, html=None)
    assert "TXT103" not in {f.code for f in findings(draft)}


def test_a_chinese_line_in_an_english_mail_is_searched_with_chinese_phrases() -> None:
    text = SAMPLES["en"][0] + "\n\n限时优惠！免费送样品，最低价！\n"
    draft = make_draft(text=text, html=None)
    assert "zh" in draft.languages
    assert "TXT103" in {f.code for f in findings(draft)}
