"""What staff pages show of families' feedback, and who may see it.

A language's feedback is for the people who review that language: a reviewer with a role for it
(the dashboard, the queue, a message's page, marking an answer handled). English has no reviewers
(its text is written in ``content/``, by the organisation): its feedback goes to admins, on the
dashboard. Nobody else sees any of it, admins included for the other languages."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal.feedback import operations
from portal.feedback.models import FamilyFeedback
from portal.locales import LOCALES, SOURCE_LOCALE, PortalLocale, by_code

DASHBOARD_ITEMS = 3  # newest answers per language on the dashboard (English: more, it has no queue)
SOURCE_ITEMS = 20
QUEUE_ITEMS = 20
QUEUE_ALL_ITEMS = 200
MESSAGE_ITEMS = 5


def may_read(user, locale: str) -> bool:
    """Whether ``user`` may see and handle the feedback of ``locale``."""
    if locale == SOURCE_LOCALE:
        return bool(user.is_admin and user.active)
    return user.has_role("reviewer", locale)


def readable_locales(user) -> list[PortalLocale]:
    return [loc for loc in LOCALES if may_read(user, loc.code)]


def page_titles(pages) -> dict[str, str]:
    """Each page's English title by slug (staff pages are in English)."""
    return {slug: page.title.text for slug, page in pages.items()}


@dataclass
class Panel:
    """The feedback of one language, as a staff page shows it."""

    loc: PortalLocale
    new: int
    items: list[FamilyFeedback]
    groups: list[tuple[str, list[FamilyFeedback]]] = field(default_factory=list)


def dashboard(session: Session, user) -> list[Panel]:
    """Per language the person may read: how many answers are new, and the newest few."""
    locales = readable_locales(user)
    counts = operations.new_counts(session, [loc.code for loc in locales])
    return [Panel(loc, counts[loc.code], operations.latest(
        session, loc.code, SOURCE_ITEMS if loc.is_source else DASHBOARD_ITEMS)) for loc in locales]


def queue(session: Session, code: str, pages, show_all: bool) -> Panel:
    """A locale's answers for its queue, grouped by page in the site's order: the new ones (or,
    with ``show_all``, handled ones too)."""
    loc = by_code(code)
    new = operations.new_counts(session, [loc.code])[loc.code]
    items = operations.latest(session, loc.code, QUEUE_ALL_ITEMS if show_all else QUEUE_ITEMS,
                              include_handled=show_all)
    return Panel(loc, new, items, operations.by_page(items, list(pages)))


def for_pages(session: Session, code: str, slugs: list[str]) -> Panel:
    """The new answers about the pages a message appears on (for that message's page)."""
    loc = by_code(code)
    items = operations.latest(session, loc.code, MESSAGE_ITEMS, pages=slugs) if slugs else []
    return Panel(loc, len(items), items)
