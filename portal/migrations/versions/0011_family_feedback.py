"""Families' answers to "Was this page clear?", and the expiring per-address counts that limit them.

Revision ID: 0011
Revises: 0010

Neither table holds an address: an answer has none, a count only a keyed hash of one (deleted once
its window has passed). See portal.feedback.
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "family_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("page", sa.String(length=100), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["handled_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("family_feedback") as batch_op:
        batch_op.create_index("ix_family_feedback_locale_page", ["locale", "page", "created_at"])
        batch_op.create_index("ix_family_feedback_locale_handled", ["locale", "handled_at"])
    op.create_table(
        "feedback_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback_limits") as batch_op:
        batch_op.create_index("ix_feedback_limits_address_key", ["address_key"])
        batch_op.create_index("ix_feedback_limits_created_at", ["created_at"])


def downgrade() -> None:
    op.drop_table("feedback_limits")
    op.drop_table("family_feedback")
