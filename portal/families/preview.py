"""A family page as it will look with one pending text: the served catalog, with one message's
current translation laid over it, and that message marked.

The page is rendered by the families' own code (``portal.families.views.page_context`` and
``index_context``, their templates, ``Renderer``): only the catalog differs. The pending text goes
through exactly what a family page does to any translation (Markdown with raw HTML off for content,
escaping for site text), wrapped in two private-use characters. After rendering, ``mark_pending``
turns each wrapped run of text into ``<mark>`` with a visible "Pending text" label, and drops the
wrapping inside the ``<title>`` and inside attributes (where no element can go). The wrapping
characters are taken out of every text first, so no translation can make a mark of its own.

Pure domain code: no Flask.
"""
from __future__ import annotations

import gettext
import re

from babel.messages.plurals import get_plural

from portal.families.served import ServedCatalog

START, END = "\ue000", "\ue001"
# A space inside the wrapping, so Markdown's emphasis rules see the text exactly as without it
# ("**¿Qué?**" stays bold); it is taken out again with the wrapping.
OPEN, CLOSE = START + " ", " " + END
LABEL = "Pending text"
MARK_OPEN = (f'<mark class="pending-text"><span class="pending-label" lang="en" dir="ltr">{LABEL}</span>'
             '<span class="visually-hidden">: </span> ')
MARK_CLOSE = '<span class="visually-hidden"> (end of pending text)</span></mark>'


def _clean(text: str) -> str:
    return text.replace(START, "").replace(END, "")


class PreviewCatalog(ServedCatalog):
    """The served catalog of a locale, except one message: its pending forms, wrapped to be marked."""

    def __init__(self, served: ServedCatalog, locale: str, msgctxt: str, msgid: str, msgid_plural: str,
                 forms: list[str]):
        super().__init__(served.translations, served._reviewed, digest="preview")  # never a family page's
        self.served = served
        self.locale = locale
        self.key = f"{msgctxt}\x04{msgid}" if msgctxt else msgid
        self.msgid_plural = msgid_plural
        self.forms = [_clean(form) for form in forms]

    def lookup(self, msgid: str, msgctxt: str = "") -> str | None:
        key = f"{msgctxt}\x04{msgid}" if msgctxt else msgid
        if key == self.key and self.forms and self.forms[0]:
            return OPEN + self.forms[0] + CLOSE
        found = self.served.lookup(msgid, msgctxt)
        return _clean(found) if found else found

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        if singular == self.key and plural == self.msgid_plural and all(self.forms):
            index = gettext.c2py(get_plural(self.locale).plural_expr)(number)
            return OPEN + self.forms[min(index, len(self.forms) - 1)] + CLOSE
        return _clean(self.served.ngettext(singular, plural, number))

    def __len__(self) -> int:
        return len(self.served)


_TITLE = re.compile(r"(<title>)(.*?)(</title>)", re.S)
_TAG = re.compile(r"<[^>]*>")


def mark_pending(html: str) -> str:
    """The rendered page with each wrapped pending text marked (see the module docstring)."""
    html = _TITLE.sub(lambda m: m.group(1) + _unwrap(m.group(2)) + m.group(3), html)
    html = _TAG.sub(lambda m: _unwrap(m.group(0)), html)
    return html.replace(OPEN, MARK_OPEN).replace(CLOSE, MARK_CLOSE).replace(START, MARK_OPEN).replace(END, MARK_CLOSE)


def _unwrap(text: str) -> str:
    return text.replace(OPEN, "").replace(CLOSE, "").replace(START, "").replace(END, "")


def is_marked(html: str) -> bool:
    """Whether a rendered page shows the pending text (before ``mark_pending``) outside the title
    and attributes: some site text appears only on some pages."""
    body = _TAG.sub("", _TITLE.sub("", html))
    return START in body
