"""Reviewers say who they are to families: a credential line, and whether to show it with their name.

Revision ID: 0010
Revises: 0009

Everyone starts with no credential and not shown: families see nobody's name until that person
chooses to show it (on their account page, or `flask users set-credential NAME "..." --show`).
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("credential", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("show_to_families", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("show_to_families")
        batch_op.drop_column("credential")
