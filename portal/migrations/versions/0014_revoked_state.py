"""A text whose approval was revoked is "revoked", not "rejected": recompute the stored states.

Revision ID: 0014
Revises: 0013

Until the queue and the workspace told the two apart (issue 15), a text whose approval a reviewer
revoked was stored with the state "rejected" (or "awaiting"). portal.translation.units.review_state
now says "revoked" when the newest objection to the exact text is the revocation of its approval;
this migration gives the units already stored that state, with the same rule in SQL: reviewed,
not approved now, an approval of the same text revoked, and no rejection of that text since.
No schema change. Downgrading stores "rejected" again, as the code before it did.
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SAME_TEXT = "a.locale = units.locale AND a.fingerprint = units.fingerprint"


def upgrade() -> None:
    op.execute(f"""
        UPDATE units SET state = 'revoked'
        WHERE kind IS NOT NULL AND state IN ('rejected', 'awaiting')
          AND NOT EXISTS (SELECT 1 FROM approvals a WHERE {SAME_TEXT} AND a.revoked_at IS NULL)
          AND EXISTS (
            SELECT 1 FROM approvals a WHERE {SAME_TEXT} AND a.revoked_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM rejections r WHERE r.locale = units.locale
                                AND r.fingerprint = units.fingerprint AND r.created_at >= a.revoked_at))
    """)


def downgrade() -> None:
    op.execute("UPDATE units SET state = 'rejected' WHERE state = 'revoked'")
