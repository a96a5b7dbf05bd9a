"""catalog revisions, edit revisions and warnings, rejections

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 08:50:57.419788
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_revisions',
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('locale')
    )
    op.create_table('rejections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('msgctxt', sa.Text(), nullable=False),
    sa.Column('msgid', sa.Text(), nullable=False),
    sa.Column('msgid_plural', sa.Text(), nullable=False),
    sa.Column('translation_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rejections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejections_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_rejections_locale'), ['locale'], unique=False)

    with op.batch_alter_table('edits', schema=None) as batch_op:
        # Server defaults fill the rows that already exist.
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('fuzzy', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('warnings_json', sa.Text(), nullable=False, server_default="[]"))
        batch_op.create_index(batch_op.f('ix_edits_revision'), ['revision'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('edits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edits_revision'))
        batch_op.drop_column('warnings_json')
        batch_op.drop_column('fuzzy')
        batch_op.drop_column('revision')

    with op.batch_alter_table('rejections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejections_locale'))
        batch_op.drop_index(batch_op.f('ix_rejections_fingerprint'))

    op.drop_table('rejections')
    op.drop_table('catalog_revisions')
