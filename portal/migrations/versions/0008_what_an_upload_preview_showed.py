"""Pending uploads remember what their preview showed, so an apply changes only what did not
change since (and reports the rest) instead of refusing the whole file.

Revision ID: 0008
Revises: 0007

Files already waiting keep no record (NULL): applying one shows its preview again first.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_uploads") as batch_op:
        batch_op.add_column(sa.Column("seen_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads") as batch_op:
        batch_op.drop_column("seen_json")
