"""Locale codes, tags and Accept-Language negotiation, without Flask."""
from __future__ import annotations

import pytest

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
])
def test_parse_accept_language(header, expected):
    assert parse_accept_language(header) == expected


@pytest.mark.parametrize("tags, expected", [
    (["zh-CN"], "zh_Hans"), (["zh-SG"], "zh_Hans"), (["zh"], "zh_Hans"), (["zh-Hans-HK"], "zh_Hans"),
    (["zh-TW"], None), (["zh-Hant"], None), (["es-419"], "es"), (["vi-VN"], "vi"),
    (["ar-SA"], "ar"), (["pt-BR", "es"], "es"), (["not a tag!"], None),
])
def test_negotiate(tags, expected):
    found = negotiate(tags)
    assert (found.code if found else None) == expected
