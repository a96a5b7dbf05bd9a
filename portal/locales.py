"""The languages the portal serves, and how a reader's language is chosen.

Each locale has two spellings: the gettext identifier used for catalog folders
(``zh_Hans``) and the BCP 47 tag used in URLs and ``<html lang>`` (``zh-Hans``).
Nothing here knows about Flask requests: callers pass plain values.
"""
from __future__ import annotations

from dataclasses import dataclass

from babel import Locale
from babel.core import get_global


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
    ``es-MX`` becomes ``("es", "Latn")``.
    """
    try:
        loc = Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, LookupError):
        return tag.split("-")[0].split("_")[0].lower(), None
    if loc.script:
        return loc.language, loc.script
    likely = get_global("likely_subtags")
    for key in (f"{loc.language}_{loc.territory}" if loc.territory else None, loc.language):
        if key and key in likely:
            return loc.language, Locale.parse(likely[key]).script
    return loc.language, None


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first (q=0 dropped)."""
    if not header:
        return []
    ranked = []
    for position, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(accepted: list[str]) -> PortalLocale | None:
    """The first served locale that matches a browser's preference list.

    A served locale matches when the language is the same and, where the served
    locale names a script, the script is the same too: ``zh-CN`` and ``zh-SG``
    get Simplified Chinese; ``zh-TW`` (Traditional) does not.
    """
    for tag in accepted:
        language, script = _maximize(tag)
        for loc in LOCALES:
            served = loc.babel
            if served.language != language:
                continue
            if served.script and script and served.script != script:
                continue
            return loc
    return None
