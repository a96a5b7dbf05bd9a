"""Authorship by words: each edit's words fingerprint and the text it replaced; English changes.

Revision ID: 0006
Revises: 0005

The words fingerprint of existing edits is computed here with the portal's own function
(``portal.translation.identity.words_fingerprint``): if that rule ever changes, a new migration recomputes it.
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from portal.translation.identity import words_fingerprint

    with op.batch_alter_table("edits") as batch_op:
        batch_op.add_column(sa.Column("words", sa.String(64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("replaced_json", sa.Text(), nullable=True))
        batch_op.create_index("ix_edits_words", ["words"])
    edits = sa.table("edits", sa.column("id", sa.Integer), sa.column("translation_json", sa.Text),
                     sa.column("words", sa.String))
    connection = op.get_bind()
    for row in connection.execute(sa.select(edits.c.id, edits.c.translation_json)).all():
        connection.execute(edits.update().where(edits.c.id == row.id)
                           .values(words=words_fingerprint(json.loads(row.translation_json))))
    op.create_table(
        "source_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("locale", sa.String(20), nullable=False),
        sa.Column("msgctxt", sa.Text(), nullable=False),
        sa.Column("msgid_before", sa.Text(), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_source_changes_locale", "source_changes", ["locale"])


def downgrade() -> None:
    op.drop_index("ix_source_changes_locale", table_name="source_changes")
    op.drop_table("source_changes")
    with op.batch_alter_table("edits") as batch_op:
        batch_op.drop_index("ix_edits_words")
        batch_op.drop_column("replaced_json")
        batch_op.drop_column("words")
