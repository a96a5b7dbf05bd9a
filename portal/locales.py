"""The languages the portal serves, and how a reader's language is chosen.

Each locale has two spellings: the gettext identifier used for catalog folders
(``zh_Hans``) and the BCP 47 tag used in URLs and ``<html lang>`` (``zh-Hans``).
Nothing here knows about Flask requests: callers pass plain values.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from babel import Locale
from babel.core import get_global, parse_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class PortalLocale:
    """One language the portal serves."""

    code: str  # gettext identifier: translations/<code>/LC_MESSAGES
    tag: str  # BCP 47 tag: URLs, lang and hreflang attributes

    @property
    def babel(self) -> Locale:
        return Locale.parse(self.code)

    @property
    def native_name(self) -> str:
        """The language named in itself ("Español", "العربية"), for the switcher."""
        loc = self.babel
        # With a script the display name says which ("中文 (简体)"), which readers need.
        name = (loc.display_name if loc.script else loc.language_name) or self.code
        return name[:1].upper() + name[1:]

    @property
    def english_name(self) -> str:
        """The language named in English ("Spanish", "Chinese (Simplified)"), for staff pages."""
        return self.babel.get_display_name("en") or self.code

    @property
    def direction(self) -> str:
        return "rtl" if self.babel.character_order == "right-to-left" else "ltr"

    @property
    def is_source(self) -> bool:
        return self.code == SOURCE_LOCALE


SOURCE_LOCALE = "en"

# Order matters only for display (the switcher lists languages in this order).
LOCALES: tuple[PortalLocale, ...] = (
    PortalLocale("en", "en"),
    PortalLocale("es", "es"),
    PortalLocale("zh_Hans", "zh-Hans"),
    PortalLocale("vi", "vi"),
    PortalLocale("ar", "ar"),
)

TRANSLATED_LOCALES = tuple(loc for loc in LOCALES if not loc.is_source)

_BY_TAG = {loc.tag.lower(): loc for loc in LOCALES}
_BY_CODE = {loc.code: loc for loc in LOCALES}


class UnknownLocale(LookupError):
    """A locale code or tag the portal does not serve."""

    def __init__(self, value: str):
        known = ", ".join(loc.code for loc in LOCALES)
        super().__init__(f"Unknown locale {value!r}. Use one of: {known}.")
        self.value = value


def by_tag(tag: str) -> PortalLocale | None:
    """The locale for a URL tag, case-insensitively (``zh-hans`` finds ``zh-Hans``)."""
    return _BY_TAG.get(tag.replace("_", "-").lower())


def by_code(code: str) -> PortalLocale:
    """The locale for a gettext code or a URL tag; raises UnknownLocale."""
    loc = _BY_CODE.get(code) or by_tag(code)
    if loc is None:
        raise UnknownLocale(code)
    return loc


def _maximize(tag: str) -> tuple[str, str | None]:
    """(language, script) for a browser tag, filling the script from CLDR's likely subtags.

    ``zh-CN`` becomes ``("zh", "Hans")``, ``zh-TW`` becomes ``("zh", "Hant")``,
    ``es-MX`` becomes ``("es", "Latn")``. Extensions and private use (``-u-…``, ``-x-…``)
    are ignored. Total: any string gives an answer. A tag CLDR does not know (``xx``,
    ``tlh``, ``sgn-US``) keeps its language and no script; a string that is not a tag
    gives its first subtag and no script, which matches nothing that needs a script.
    """
    subtags = []
    for subtag in tag.replace("_", "-").split("-"):
        if len(subtag) == 1:  # a singleton starts an extension (-u-, -t-) or private use (-x-)
            break
        subtags.append(subtag)
    try:
        # Syntax only: unlike Locale.parse this does not need CLDR to know the locale.
        language, territory, script = parse_locale("_".join(subtags))[:3]
    except ValueError:
        return (subtags[0].lower() if subtags else ""), None
    if script:
        return language, script
    likely = get_global("likely_subtags")
    for key in (f"{language}_{territory}" if territory else None, language):
        if key and key in likely:
            try:
                return language, parse_locale(likely[key])[2]
            except ValueError:  # CLDR's own data; not expected, but a guess must not crash
                break
    return language, None


def accepted_tags(ranked: Iterable[tuple[str, float]]) -> list[str]:
    """Language tags a browser accepts, best first, from (tag, quality) pairs already ranked
    best first (Werkzeug's ``request.accept_languages``): q=0 and ``*`` dropped."""
    return [tag for tag, quality in ranked if tag and tag != "*" and quality > 0]


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first (q=0 dropped), parsed by
    Werkzeug as ``request.accept_languages`` is; for callers that hold the raw header."""
    return accepted_tags(parse_accept_header(header or "", LanguageAccept))


def negotiate(accepted: Iterable[str]) -> PortalLocale | None:
    """The first served locale that matches a browser's preference list, or None.

    A served locale matches when the language is the same and, where the served
    locale names a script, the reader's script is known and the same too: ``zh-CN``
    and ``zh-SG`` get Simplified Chinese; ``zh-TW`` (Traditional), and a Chinese tag
    whose script cannot be told (``zh-min-nan``), do not. Total: any list of strings
    gives a locale or None, never an exception.
    """
    for tag in accepted:
        language, script = _maximize(tag)
        for loc in LOCALES:
            served = loc.babel
            if served.language != language:
                continue
            if served.script and served.script != script:
                continue
            return loc
    return None
