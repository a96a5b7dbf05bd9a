"""Each locale counts its review decisions; each served catalog records the count it was built from.

Revision ID: 0009
Revises: 0008

An approval or a revocation is committed on its own, before the publish it causes; when that
publish fails, the served catalog is behind its approvals until a later publish succeeds
(``review.gate.is_behind``). Until this revision every decision was published in its own
transaction, so no catalog that exists is behind: every locale starts at 0, every catalog at 0.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_revisions",
        sa.Column("locale", sa.String(20), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("published_catalogs") as batch_op:
        batch_op.add_column(sa.Column("review_revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("published_catalogs") as batch_op:
        batch_op.drop_column("review_revision")
    op.drop_table("review_revisions")
