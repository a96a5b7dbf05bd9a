"""The database becomes the one source of truth: translation units, published catalogs by
version, pending uploads; message ids on the history and review rows.

Revision ID: 0007
Revises: 0006

Upgrading an installation that kept its translations in files carries them over: when the
upgrade is given the translations folder (``flask db upgrade`` and the embedded SQLite's
upgrade on first use both give it), the template is merged into units for every locale and
each working ``.po`` is taken over as it is (``translation.operations.adopt_catalog``). The
edit history and approvals stay where they are; the .po files stay too, as exports.

This step uses the portal's own code and models, as they are in this release; a later
migration that changes the units table must keep it working or replace it.

Downgrade drops the new tables and columns: the units' texts are then only in the ``.po``
files as last exported (run `flask translate export` before downgrading).
"""
import hashlib
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _mid(msgctxt: str, msgid: str, msgid_plural: str) -> str:
    return hashlib.sha1("\x04".join((msgctxt or "", msgid, msgid_plural or "")).encode("utf-8")).hexdigest()[:16]


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("locale", sa.String(20), nullable=False),
        sa.Column("mid", sa.String(16), nullable=False),
        sa.Column("msgctxt", sa.Text(), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("msgid_plural", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("extracted", sa.Text(), nullable=False),
        sa.Column("occurrences_json", sa.Text(), nullable=False),
        sa.Column("template_flags_json", sa.Text(), nullable=False),
        sa.Column("obsolete", sa.Boolean(), nullable=False),
        sa.Column("forms_json", sa.Text(), nullable=False),
        sa.Column("fuzzy", sa.Boolean(), nullable=False),
        sa.Column("previous_msgctxt", sa.Text(), nullable=True),
        sa.Column("previous_msgid", sa.Text(), nullable=True),
        sa.Column("previous_msgid_plural", sa.Text(), nullable=True),
        sa.Column("translator_comment", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("words", sa.String(64), nullable=False),
        sa.Column("translated", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("warnings_json", sa.Text(), nullable=False),
        sa.Column("blocking_json", sa.Text(), nullable=False),
        sa.Column("has_warnings", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("source_before", sa.Text(), nullable=False),
        sa.Column("queue_kind", sa.String(16), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("catalog_revision", sa.Integer(), nullable=False),
        sa.UniqueConstraint("locale", "mid"),
    )
    op.create_index("ix_units_locale_position", "units", ["locale", "obsolete", "position"])
    op.create_index("ix_units_locale_counts", "units",
                    ["locale", "obsolete", "state", "kind", "has_warnings", "word_count"])
    op.create_index("ix_units_locale_queue", "units",
                    ["locale", "obsolete", "state", "queue_kind", "changed_at", "kind"])
    op.create_table(
        "published_catalogs",
        sa.Column("locale", sa.String(20), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("mo", sa.LargeBinary(), nullable=False),
        sa.Column("reviewed_json", sa.Text(), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "pending_uploads",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("locale", sa.String(20), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_pending_uploads_user_id", "pending_uploads", ["user_id"])
    op.create_index("ix_pending_uploads_created_at", "pending_uploads", ["created_at"])
    for table in ("edits", "approvals", "rejections"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("mid", sa.String(16), nullable=False, server_default=""))
            batch_op.create_index(f"ix_{table}_mid", ["mid"])
    with op.batch_alter_table("edits") as batch_op:
        batch_op.add_column(sa.Column("replaced_fuzzy", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    for table in ("edits", "approvals", "rejections"):
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column("msgctxt", sa.Text), sa.column("msgid", sa.Text),
                        sa.column("msgid_plural", sa.Text), sa.column("mid", sa.String))
        for row in connection.execute(sa.select(rows.c.id, rows.c.msgctxt, rows.c.msgid, rows.c.msgid_plural)).all():
            connection.execute(rows.update().where(rows.c.id == row.id)
                               .values(mid=_mid(row.msgctxt, row.msgid, row.msgid_plural)))
    # Every English change the history knows becomes a SourceChange, so authorship follows a
    # message across its English from one small table (review.rules.Authorship).
    edits = sa.table("edits", sa.column("locale", sa.String), sa.column("msgctxt", sa.Text),
                     sa.column("msgid", sa.Text), sa.column("previous_msgid", sa.Text),
                     sa.column("created_at", sa.DateTime))
    changes = sa.table("source_changes", sa.column("locale", sa.String), sa.column("msgctxt", sa.Text),
                       sa.column("msgid_before", sa.Text), sa.column("msgid", sa.Text),
                       sa.column("created_at", sa.DateTime))
    known = set(connection.execute(sa.select(changes.c.locale, changes.c.msgctxt, changes.c.msgid_before,
                                             changes.c.msgid)).all())
    for row in connection.execute(sa.select(edits.c.locale, edits.c.msgctxt, edits.c.previous_msgid, edits.c.msgid,
                                            sa.func.min(edits.c.created_at))
                                  .where(edits.c.previous_msgid != "")
                                  .group_by(edits.c.locale, edits.c.msgctxt, edits.c.previous_msgid, edits.c.msgid)).all():
        if tuple(row[:4]) not in known:
            connection.execute(changes.insert().values(locale=row[0], msgctxt=row[1], msgid_before=row[2],
                                                       msgid=row[3], created_at=row[4]))
    _carry_over_the_catalogs(connection)


def _carry_over_the_catalogs(connection) -> None:
    translations = context.config.attributes.get("translations_dir")
    if not translations or not (Path(translations) / "messages.pot").exists():
        return
    from sqlalchemy.orm import Session

    from portal.locales import TRANSLATED_LOCALES
    from portal.translation import template
    from portal.translation.catalogs import load_po
    from portal.translation.checks import Terms
    from portal.translation.operations import adopt_catalog

    content = context.config.attributes.get("content_dir")
    terms = Terms.load(Path(content)) if content and Path(content).is_dir() else Terms()
    catalog = template.load(Path(translations) / "messages.pot")
    session = Session(bind=connection)
    for loc in TRANSLATED_LOCALES:
        template.sync(session, catalog, loc.code, terms)
        working = Path(translations) / loc.code / "LC_MESSAGES" / "messages.po"
        if working.exists():
            adopt_catalog(session, loc.code, load_po(working), terms)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table("edits") as batch_op:
        batch_op.drop_column("comment")
        batch_op.drop_column("replaced_fuzzy")
    for table in ("rejections", "approvals", "edits"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_mid")
            batch_op.drop_column("mid")
    op.drop_index("ix_pending_uploads_created_at", table_name="pending_uploads")
    op.drop_index("ix_pending_uploads_user_id", table_name="pending_uploads")
    op.drop_table("pending_uploads")
    op.drop_table("published_catalogs")
    op.drop_index("ix_units_locale_queue", table_name="units")
    op.drop_index("ix_units_locale_counts", table_name="units")
    op.drop_index("ix_units_locale_position", table_name="units")
    op.drop_table("units")
