"""Comments: a thread per message and language, between its translators and reviewers.

Revision ID: 0012
Revises: 0011

A new table only; nothing that exists changes. Downgrading drops the table and its comments.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("mid", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("msgctxt", sa.Text(), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("msgid_plural", sa.Text(), nullable=False),
        sa.Column("translation_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("comments") as batch_op:
        batch_op.create_index("ix_comments_created_at", ["created_at"])
        batch_op.create_index("ix_comments_fingerprint", ["fingerprint"])
        batch_op.create_index("ix_comments_locale", ["locale"])
        batch_op.create_index("ix_comments_mid", ["mid"])


def downgrade() -> None:
    op.drop_table("comments")
