"""Locale codes, tags and Accept-Language negotiation, without Flask."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.locales import LOCALES, UnknownLocale, by_code, by_tag, negotiate, parse_accept_language


def test_each_locale_has_a_gettext_code_and_a_bcp47_tag():
    assert [(loc.code, loc.tag) for loc in LOCALES] == [
        ("en", "en"), ("es", "es"), ("zh_Hans", "zh-Hans"), ("vi", "vi"), ("ar", "ar")]
    assert [loc.direction for loc in LOCALES] == ["ltr", "ltr", "ltr", "ltr", "rtl"]


def test_lookup_by_code_or_tag():
    assert by_code("zh_Hans") is by_code("zh-Hans") is by_tag("zh-hans")
    assert by_tag("xx") is None
    with pytest.raises(UnknownLocale, match="Use one of: en, es, zh_Hans, vi, ar"):
        by_code("fr")


@pytest.mark.parametrize("header, expected", [
    ("en-US,en;q=0.9", ["en-US", "en"]),
    ("fr;q=0.2, es;q=0.8, vi", ["vi", "es", "fr"]),
    ("es;q=0, vi", ["vi"]),
    ("*", []),
    ("es;q=abc, vi", ["vi"]),
    (None, []),
    ("xx, tlh;q=0.5, sgn-US;q=0.4", ["xx", "tlh", "sgn-US"]),
])
def test_parse_accept_language(header, expected):
    assert parse_accept_language(header) == expected


@pytest.mark.parametrize("tags, expected", [
    (["zh-CN"], "zh_Hans"), (["zh-SG"], "zh_Hans"), (["zh"], "zh_Hans"), (["zh-Hans-HK"], "zh_Hans"),
    (["zh-TW"], None), (["zh-Hant"], None), (["es-419"], "es"), (["vi-VN"], "vi"),
    (["ar-SA"], "ar"), (["pt-BR", "es"], "es"), (["not a tag!"], None),
    # Tags CLDR does not know, or that Babel cannot parse: no match, and no exception.
    (["xx"], None), (["tlh"], None), (["sgn-US"], None), (["zz-ZZ"], None), (["i-klingon"], None),
    (["x-private"], None), ([""], None), (["und"], None),
    (["en-US-u-ca-gregory"], "en"), (["xx", "tlh", "vi"], "vi"),
    # Extensions do not hide the script; a Chinese tag whose script cannot be told is not Simplified.
    (["zh-Hant-u-nu-hanidec"], None), (["zh-CN-u-nu-hanidec"], "zh_Hans"), (["zh-TW-x-private"], None),
    (["zh-min-nan"], None),
])
def test_negotiate(tags, expected):
    found = negotiate(tags)
    assert (found.code if found else None) == expected


@settings(max_examples=5 * settings().max_examples, deadline=None)  # ci profile: 300
@given(st.lists(st.text(max_size=40), max_size=5))
def test_negotiate_answers_any_list_of_strings(tags):
    """Total: whatever a browser sends, a served locale or None, never an exception."""
    found = negotiate(tags)
    assert found is None or found in LOCALES


@settings(max_examples=5 * settings().max_examples, deadline=None)  # ci profile: 300
@given(st.text(max_size=200))
def test_parse_accept_language_answers_any_header(header):
    tags = parse_accept_language(header)
    assert isinstance(tags, list) and all(isinstance(tag, str) and tag and tag != "*" for tag in tags)
