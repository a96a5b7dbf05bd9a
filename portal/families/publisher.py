"""Who publishes the guide: the organisation's name, address and contact, from the configuration.

Set in ``instance/config.py`` (or ``FLASK_ORGANISATION_*`` variables): ``ORGANISATION_NAME``,
``ORGANISATION_ADDRESS`` (one string, lines separated by newlines, or a list of lines),
``ORGANISATION_PHONE``, ``ORGANISATION_EMAIL`` and ``ORGANISATION_WEBSITE``. Each may be left
out: the pages then say "the publisher of this guide" (site text, translated and reviewed) and
show no address or contact at all, never a made-up one.

These values are data given by the organisation, shown as they are (escaped, never translated).
Pure domain code: no Flask.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote

KEYS = ("ORGANISATION_NAME", "ORGANISATION_ADDRESS", "ORGANISATION_PHONE", "ORGANISATION_EMAIL",
        "ORGANISATION_WEBSITE")

# Characters nobody means to show: controls (tabs and newlines are handled first) and the
# invisible and bidi controls that could reorder a page's text.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _clean(value) -> str:
    """A configured value as one line of plain text ("" for None)."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return _INVISIBLE.sub("", text).strip()


@dataclass(frozen=True)
class Publisher:
    """The organisation that publishes the guide; every field may be empty."""

    name: str = ""
    address: tuple[str, ...] = ()
    phone: str = ""
    email: str = ""
    website: str = ""

    @classmethod
    def from_config(cls, config) -> Publisher:
        address = config.get("ORGANISATION_ADDRESS") or ()
        lines = address.splitlines() if isinstance(address, str) else list(address)
        return cls(name=_clean(config.get("ORGANISATION_NAME")),
                   address=tuple(line for line in map(_clean, lines) if line),
                   phone=_clean(config.get("ORGANISATION_PHONE")),
                   email=_clean(config.get("ORGANISATION_EMAIL")),
                   website=_clean(config.get("ORGANISATION_WEBSITE")))

    @property
    def has_contact(self) -> bool:
        return bool(self.phone or self.email or self.website)

    @property
    def phone_href(self) -> str | None:
        """``tel:`` with the number's digits (and a leading +), or None if it has no digits."""
        digits = re.sub(r"[^\d+]", "", self.phone)
        digits = digits[:1] + digits[1:].replace("+", "")
        return f"tel:{digits}" if re.search(r"\d", digits) else None

    @property
    def email_href(self) -> str | None:
        if "@" not in self.email:
            return None
        return "mailto:" + quote(self.email, safe="@.+-_")

    @property
    def website_href(self) -> str | None:
        """The web address as a link only when it is an http(s) address; else it is shown as text."""
        return self.website if re.match(r"https?://[^\s/]", self.website, re.IGNORECASE) else None

    def fingerprint(self) -> str:
        """Part of every family page's ETag: a new name or contact is a new page."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]
