"""Readability in every language (issue 15): the formulas on known text, the long-sentence
warnings per language, and that a warning never stops a save or an approval."""
from __future__ import annotations

import re

import pytest

from portal.translation import readability
from portal.translation.identity import message_id
from tests.conftest import csrf_token

SPANISH = "La casa es azul. El perro come pan."
# 8 words, 2 sentences, 11 syllables (Pyphen's Spanish: la ca-sa es azul / el pe-rro co-me pan):
# Szigriszt-Pazos (INFLESZ) = 206.835 - 62.3 * 11/8 - 8/2 = 117.17
# Fernández-Huerta        = 206.84 - 60 * 11/8 - 1.02 * 8/2 = 120.26
LONG_SPANISH = ("Cuando el equipo médico le explique el plan de tratamiento de su hijo, pregunte qué medicamentos "
                "va a recibir, cuánto tiempo va a durar cada parte y qué efectos secundarios puede tener en casa.")


def test_spanish_formulas_on_known_text():
    assert readability.inflesz(SPANISH) == 117.2
    assert readability.fernandez_huerta(SPANISH) == 120.3
    assert readability.inflesz_label(117.2) == "very easy"
    assert readability.inflesz_label(60) == "normal"
    assert readability.inflesz_label(50) == "somewhat difficult"


def test_the_spanish_pages_test_uses_the_portal_formula():
    import tests.test_translations as spanish

    assert spanish.inflesz is readability.inflesz  # one implementation


def test_english_grade_is_flesch_kincaid():
    # 11 words, 2 sentences, 11 syllables (CMUdict): 0.39 * 5.5 + 11.8 * 1 - 15.59 = -1.645
    assert readability.english_grade("The cat sat on the mat. The dog ran to me.") == -1.6


@pytest.mark.parametrize("text, locale, expected", [
    ("我们去医院。医生说没事！", "zh_Hans", [5, 5]),  # characters, split on 。！
    ("我们去医院. 医生说没事?", "zh_Hans", [5, 5]),  # and on . ?
    ("Con tôi bị sốt. Bác sĩ nói không sao!", "vi", [4, 5]),
    ("هل عاد المرض؟ نعم، عاد.", "ar", [3, 2]),
    ("Su hijo está bien. ¿Tiene preguntas?", "es", [4, 2]),
])
def test_sentence_lengths_per_language(text, locale, expected):
    assert [readability.length(s, locale) for s in readability.sentences(text)] == expected


@pytest.mark.parametrize("locale, sentence, limit", [
    ("zh_Hans", "医" * 41 + "。", 40),
    ("es", " ".join(["palabra"] * 26) + ".", 25),
    ("vi", " ".join(["từ"] * 31) + ".", 30),
    ("ar", " ".join(["كلمة"] * 21) + ".", 20),
])
def test_a_long_sentence_is_a_warning_at_the_language_threshold(locale, sentence, limit):
    over = readability.assess(sentence, locale)
    assert len(over.long) == 1 and over.limit == limit
    assert any(f"more than {limit}" in w for w in over.warnings)
    shortened = sentence.replace("医", "", 1) if locale == "zh_Hans" else sentence.split(" ", 1)[1]
    assert readability.assess(shortened, locale).long == []


def test_spanish_gets_the_formulas_and_others_do_not():
    spanish = readability.assess(SPANISH, "es")
    assert spanish.inflesz == 117.2 and spanish.fernandez_huerta == 120.3 and spanish.average == 4.0
    chinese = readability.assess("我们去医院。", "zh_Hans")
    assert chinese.inflesz is None and chinese.unit == "characters" and chinese.average == 5.0


def test_the_page_figure_uses_the_page_in_the_language_and_the_english_grade():
    figure = readability.page_readability(["Hola. Adiós."], ["Hello", "Goodbye"], "es")
    assert figure.counted == 1 and figure.total == 2
    assert figure.figures.sentences == 2
    assert figure.english_grade == readability.english_grade("Hello. Goodbye.")


def test_a_long_sentence_never_blocks_saving_or_approving(app, people, tina, rita):
    msgid = "How well it works"  # content/treatment.md
    mid = message_id(("", msgid, ""))
    url = f"/translate/es/m/{mid}"
    unit = people.unit("es", msgid)
    response = tina.post(url, data={"csrf_token": csrf_token(tina, url), "base": unit.revision,
                                    "form0": LONG_SPANISH})
    assert response.status_code == 302
    assert people.unit("es", msgid).forms == [LONG_SPANISH]
    page = tina.get(url).get_data(as_text=True)
    assert "Readability warnings" in page and "more than 25" in page
    assert "INFLESZ" in page and "Fernández-Huerta" in page and "grade" in page
    review = f"/review/es/m/{mid}"
    html = rita.get(review).get_data(as_text=True)
    assert "more than 25" in html
    seen = re.search(r'name="seen" type="hidden" value="([0-9a-f]{64})"', html).group(1)
    approved = rita.post(f"{review}/approve", data={"csrf_token": csrf_token(rita, review), "seen": seen})
    assert approved.status_code == 302
    assert people.served("es").find(msgid).msgstr == LONG_SPANISH


def test_other_languages_show_sentence_lengths_next_to_the_english_grade(app, people):
    from tests.conftest import person, signed_in

    person(people, "zoe", [("translator", "zh_Hans")])
    people.translate("zh_Hans", "How well it works", "效果如何", author="zoe")
    html = signed_in(app, "zoe").get(f"/translate/zh_Hans/m/{message_id(('', 'How well it works', ''))}")
    text = html.get_data(as_text=True)
    assert "4.0 characters a sentence" in text and "INFLESZ" not in text
    assert re.search(r"The English page reads at grade \d+\.\d", text)
