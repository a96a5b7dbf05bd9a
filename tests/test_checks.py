"""The quality checks as one registry with one verdict: what blocks, in every language."""
from __future__ import annotations

import unicodedata

import pytest

from portal.families.rendering import render_inline
from portal.translation import checks
from portal.translation.checks import BLOCKING, CHECKS, blocking_problems, check_translation, number_problems
from tests.conftest import ROOT


def test_every_check_is_declared_once_with_a_severity():
    ids = [check.id for check in CHECKS]
    assert len(ids) == len(set(ids))
    assert {check.severity for check in CHECKS} == {checks.BLOCKING, checks.WARNING}
    assert {"invisible", "markup", "links", "placeholders", "numbers"} <= {c.id for c in CHECKS if c.severity == BLOCKING}


def test_blocking_problems_is_the_blocking_half_of_all_checks():
    source, text = "About 85 out of 100 children.", "Unos 58 de cada 100 niños"  # wrong number, no full stop
    everything = check_translation(source, None, [text], "es")
    assert blocking_problems(source, None, [text], "es") == everything.blocking
    assert everything.warnings and everything.blocking


@pytest.mark.parametrize("locale, source, text", [
    ("es", "Your child may get 2 drugs.", "Su hijo puede recibir dos medicamentos."),
    ("es", "It is 1 option.", "Es una opción."),
    ("es", "About 6 months after.", "Unos seis meses después."),
    ("es", "Ask 3 questions.", "Haga tres preguntas."),
    ("vi", "Your child may get 2 drugs.", "Con bạn có thể dùng hai loại thuốc."),
    ("vi", "It is 1 option.", "Đây là một lựa chọn."),
    ("vi", "Less than 6 months.", "Dưới sáu tháng."),
    ("zh_Hans", "Your child may get 2 drugs.", "您的孩子可能会用两种药。"),
    ("zh_Hans", "It is 1 option.", "这是一种选择。"),
    ("zh_Hans", "Less than 6 months.", "不到六个月。"),
    ("zh_Hans", "About 12 weeks.", "大约十二周。"),
    ("ar", "Your child may get 2 drugs.", "قد يحصل طفلك على دواءين."),
    ("ar", "Your child may get 2 drugs.", "قد يحصل طفلك على اثنين من الأدوية."),
    ("ar", "Less than 6 months.", "أقل من ستة أشهر."),
    ("ar", "It is 1 option.", "هذا خيار واحد."),
    ("ar", "About 3 tests.", "حوالي ثلاثة فحوصات."),
])
def test_a_number_written_as_a_word_of_the_language_is_accepted(locale, source, text):
    assert number_problems(source, text, locale) == []


@pytest.mark.parametrize("locale, source, text", [
    ("es", "Your child may get 2 drugs.", "Su hijo puede recibir tres medicamentos."),
    ("es", "Your child may get 2 drugs.", "Su hijo puede recibir dos o tres medicamentos."),
    ("es", "15 to 20 out of 100", "1 a 2 de cada 1000"),
    ("vi", "Your child may get 2 drugs.", "Con bạn có thể dùng bốn loại thuốc."),
    ("zh_Hans", "Your child may get 2 drugs.", "您的孩子可能会用三种药。"),
    ("zh_Hans", "Less than 6 months.", "不到七个月。"),
    ("ar", "Less than 6 months.", "أقل من سبعة أشهر."),
    ("ar", "Your child may get 2 drugs.", "قد يحصل طفلك على ثلاثة أدوية."),
    ("ar", "About 85 out of 100.", "حوالي ٨٥ من كل ١٠٠."),
])
def test_a_different_number_is_still_refused_in_digits_or_words(locale, source, text):
    assert number_problems(source, text, locale)


def test_words_that_are_not_counts_are_not_held_against_a_translation():
    assert number_problems("The second remission.", "La segunda remisión.", "es") == []
    assert number_problems("Remission a second time.", "Lui bệnh lần thứ hai.", "vi") == []  # ordinal
    assert number_problems("With either plan.", "Với cả hai cách.", "vi") == []  # "both"
    assert number_problems("Together with the team.", "一起和团队。", "zh_Hans") == []  # 一起 is "together"
    assert number_problems("It will not come back.", "Nó sẽ không quay lại.", "vi") == []  # không is "not"


def test_arabic_plural_forms_may_say_their_own_number():
    source, plural = "%(num)s part is in English.", "%(num)s parts are in English."
    forms = ["لا أجزاء", "جزء واحد", "جزءان اثنان", "%(num)s أجزاء", "%(num)s جزءًا", "%(num)s جزء"]
    assert blocking_problems(source, plural, forms, "ar") == []
    forms[3] = "%(num)s أجزاء اثنان"  # the "few" form (3-10) saying two
    assert blocking_problems(source, plural, forms, "ar")


@pytest.mark.parametrize("markdown", ["![x](https://tracker.example/p.png)", "![x](/admin/publish)",
                                      "<img src=x onerror=alert(1)>", "<https://evil.example>"])
def test_the_renderer_never_makes_an_image_or_an_autolink(markdown):
    """Defence in depth behind the checks: images and autolinks are switched off in the renderer."""
    html = render_inline(f"Texto {markdown} fin", lambda href: href if href.startswith("https://") else None)
    assert "<img" not in html
    if not markdown.startswith("!"):
        assert "<a " not in html


@pytest.mark.parametrize("text", [
    "نحو ٨٥ من كل ١٠٠ طفل.",             # Arabic-Indic digits for both numbers
    "نحو 85 من كل 100 طفل، أي ٨٥٪.",      # right numbers, and an Eastern repeat of one
    "نحو ۸۵ من كل ۱۰۰ طفل.",              # Persian (extended Arabic-Indic) digits
])
def test_arabic_text_with_eastern_digits_is_blocked_and_told_to_use_western_digits(text):
    """The English's numbers are Western digits and the Arabic pages keep them (the medical
    reviewer compares them digit for digit): other digits are a blocking problem that says so."""
    problems = blocking_problems("About 85 out of 100 children.", None, [text], "ar")
    assert "Use Western digits (0-9), as the English does." in problems
    assert blocking_problems("About 85 out of 100 children.", None, ["نحو 85 من كل 100 طفل."], "ar") == []


# --- Each language's term policy (content/terms.yml, `locales`) --------------------------------------

TERMS = checks.Terms.load(ROOT / "content")


def warnings_of(source: str, text: str, locale: str) -> list[str]:
    found = check_translation(source, None, [text], locale, TERMS)
    assert found.blocking == []  # a term policy only warns
    return found.warnings


@pytest.mark.parametrize("locale, source, broken, kept", [
    # Spanish writes LLA and SNC, never ALL and CNS
    ("es", "Treatment for relapsed ALL", "Tratamiento de la ALL que volvió", "Tratamiento de la LLA que volvió"),
    ("es", "Treatment for relapsed ALL", "Tratamiento de la leucemia que volvió", "Tratamiento de la LLA que volvió"),
    ("es", "[ALL](glossary:acute-lymphoblastic-leukemia-all) can come back.",
     "La [LLA (ALL)](glossary:acute-lymphoblastic-leukemia-all) puede volver.",
     "La [LLA](glossary:acute-lymphoblastic-leukemia-all) puede volver."),
    ("es", "If it is only in the CNS", "Si solo está en el CNS", "Si solo está en el SNC"),
    # Spanish glosses perianal as the skin around the anus
    ("es", "Perianal area", "Zona perianal", "Zona perianal (la piel alrededor del ano)"),
    # interleukin-2 keeps its "-2" in Chinese and Arabic
    ("zh_Hans", "Interleukin-2", "白细胞介素（interleukin-2）", "白细胞介素-2（interleukin-2）"),
    ("ar", "Interleukin-2", "إنترلوكين (Interleukin-2)", "إنترلوكين-2 (Interleukin-2)"),
    # Chinese palliative care is 缓和医疗 (姑息治疗 may follow)
    ("zh_Hans", "Palliative care", "姑息治疗", "缓和医疗（也称姑息治疗）"),
    # Arabic child life specialist: what the person does, not "child life" word for word
    ("ar", "Child life specialist", "أخصائي حياة الطفل", "أخصائي دعم الأطفال في المستشفى"),
    ("ar", "Child life specialist", "أخصائي دعم الأطفال (حياة الطفل)", "أخصائي دعم الأطفال في المستشفى"),
    # Vietnamese addresses parents as "quý vị", in every message
    ("vi", "Your support team", "Nhóm hỗ trợ của bạn", "Nhóm hỗ trợ của quý vị"),
    ("vi", "Your support team", unicodedata.normalize("NFD", "Nhóm hỗ trợ của bạn"), "Nhóm hỗ trợ của quý vị"),
    ("vi", "Keep your child away from people who are sick.", "Hãy giữ con của anh chị tránh xa người bệnh.",
     "Hãy giữ con của quý vị tránh xa người bệnh."),
])
def test_each_languages_term_policy_warns_where_it_is_broken(locale, source, broken, kept):
    assert any("term policy" in w for w in warnings_of(source, broken, locale)), broken
    assert not any("term policy" in w or "must stay as written" in w for w in warnings_of(source, kept, locale))


def test_a_term_policy_is_for_its_own_language_only():
    # ALL stays as written in the other languages; LLA there is a missing "ALL"
    assert any("'ALL' must stay as written" in w for w in warnings_of("Relapsed ALL", "LLA tái phát", "vi"))
    assert not any("term policy" in w for w in warnings_of("Relapsed ALL", "ALL tái phát", "vi"))
    assert not any("term policy" in w for w in warnings_of("Your support team", "Su equipo de apoyo (bạn)", "es"))
    assert not any("term policy" in w for w in warnings_of("Palliative care", "Cuidados paliativos", "es"))


def test_the_policy_in_terms_yml_is_loaded_for_each_language():
    assert TERMS.for_locale("es").replace == {"ALL": "LLA", "CNS": "SNC"}
    for code in ("es", "zh_Hans", "ar", "vi"):
        assert TERMS.for_locale(code).policy, f"{code}: no policy text for translators"
    assert "quý vị" in TERMS.for_locale("vi").policy
    assert TERMS.for_locale("en") == checks.LanguagePolicy()


def test_the_term_policy_is_one_declared_warning_check():
    assert [c.severity for c in CHECKS if c.id == "term_policy"] == [checks.WARNING]


@pytest.mark.parametrize("locale, text", [
    ("zh_Hans", "白细胞介素-2（interleukin-2）"),
    ("ar", "إنترلوكين-2 (Interleukin-2)"),
    ("es", "Interleucina-2"),
])
def test_a_numbered_name_given_in_both_scripts_holds_its_number_once(locale, text):
    """Interleukin-2 keeps its "-2" in the local name and in the Latin name after it."""
    assert blocking_problems("Interleukin-2", None, [text], locale) == []


@pytest.mark.parametrize("locale, text", [
    ("zh_Hans", "白细胞介素-3（interleukin-2）"),  # a different number in the local name
    ("zh_Hans", "白细胞介素-2（interleukin-2），2次"),  # an extra 2 beside the pair
    ("es", "Interleucina-2 e interleukin-2"),  # no name in another script: two 2s are two numbers
    ("ar", "إنترلوكين-2 (Interleukin-3)"),
])
def test_a_numbered_name_does_not_let_another_number_through(locale, text):
    assert number_problems("Interleukin-2", text, locale)


def test_a_wrong_number_is_named_in_words_a_person_can_act_on():
    """Every path (the web save, an upload, the CLI check, an approval) reads this message: it says
    what differs and what to do, not a Python list."""
    assert number_problems("Day 15 of treatment.", "Día 16 del tratamiento.", "es") == [
        "The English has 15; your translation has 16. Use the same number."]
    assert number_problems("About 85 out of 100.", "Unos 58 de cada 10.", "es") == [
        "The English has 85, 100; your translation has 10, 58. Use the same numbers."]
    assert "[" not in " ".join(number_problems("Day 15.", "Día.", "es"))


# --- Found by the mutation round ---------------------------------------------------------------

def test_a_wrong_number_in_the_second_form_of_a_plural_is_blocked():
    """Only a plural's first form may say its number in words or leave it out; every other form is
    held to the plural source's numbers (Spanish form 1 is the one most readers get)."""
    source, plural = "%(num)s dose every 12 hours", "%(num)s doses every 12 hours"
    good = ["%(num)s dosis cada 12 horas", "%(num)s dosis cada 12 horas"]
    assert blocking_problems(source, plural, good, "es") == []
    wrong = ["%(num)s dosis cada 12 horas", "%(num)s dosis cada 21 horas"]
    problems = blocking_problems(source, plural, wrong, "es")
    assert problems and "21" in problems[0] and problems[0].startswith("Plural form 1: ")


@pytest.mark.parametrize("text", ["Llame a su equipo o visite https://evil.example/leucemia.",
                                  "Llame a su equipo o visite www.evil.example."])
def test_one_web_address_the_english_does_not_have_is_blocked(text):
    problems = blocking_problems("Call your care team.", None, [text], "es")
    assert problems and "web address" in problems[0]


@pytest.mark.parametrize("ch", ["\u202e", "\u2066", "\u200b", "\ufeff", "\u00ad"])
def test_format_characters_that_hide_or_reorder_text_are_blocked(ch):
    """Bidi overrides and isolates, zero-width space, BOM, soft hyphen (Unicode category Cf)."""
    problems = blocking_problems("Call your care team.", None, [f"Llame a su{ch} equipo."], "es")
    assert problems and f"U+{ord(ch):04X}" in problems[0]


def test_a_link_given_twice_or_left_out_once_is_blocked():
    """Each link target as many times as the English has it."""
    source = "Read about [relapse](glossary:relapse) and [relapse again](glossary:relapse)."
    once = "Lea sobre la [recaída](glossary:relapse)."
    assert blocking_problems(source, None, [once], "es")
    twice = "Lea sobre la [recaída](glossary:relapse) y la [otra](glossary:relapse)."
    assert blocking_problems(source, None, [twice], "es") == []
