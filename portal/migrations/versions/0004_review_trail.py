"""Review queue: the English an edit replaced (source changed), and a reviewer's note on approval.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("edits") as batch_op:
        # The entry's "#| msgid" when the edit was saved: the English before a source change.
        batch_op.add_column(sa.Column("previous_msgid", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("approvals") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("rejections") as batch_op:
        batch_op.create_index("ix_rejections_created_at", ["created_at"])
    with op.batch_alter_table("approvals") as batch_op:
        batch_op.create_index("ix_approvals_created_at", ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch_op:
        batch_op.drop_index("ix_approvals_created_at")
        batch_op.drop_column("note")
    with op.batch_alter_table("rejections") as batch_op:
        batch_op.drop_index("ix_rejections_created_at")
    with op.batch_alter_table("edits") as batch_op:
        batch_op.drop_column("previous_msgid")
