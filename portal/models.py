"""Every table of the portal, gathered for Alembic (``compare_metadata``, autogenerate).

The tables themselves live with their area: ``portal.people.models``,
``portal.translation.models``, ``portal.review.models``, ``portal.feedback.models``,
``portal.notify.models``.
"""
from __future__ import annotations

from portal.db import utcnow  # noqa: F401
from portal.feedback.models import FamilyFeedback, FeedbackLimit  # noqa: F401
from portal.notify.models import DigestCursor, NotificationPreference, OutboxMessage  # noqa: F401
from portal.people.models import ROLES, LoginAttempt, LoginSession, Role, User  # noqa: F401
from portal.review.models import Approval, Comment, PublishedCatalog, Rejection, ReviewRevision  # noqa: F401
from portal.translation.models import STATES, CatalogRevision, Edit, PendingUpload, SourceChange, Unit  # noqa: F401
