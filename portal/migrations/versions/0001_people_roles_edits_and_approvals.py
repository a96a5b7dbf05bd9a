"""people, roles, edits and approvals

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 07:52:39.124885
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_known', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('msgctxt', sa.Text(), nullable=False),
    sa.Column('msgid', sa.Text(), nullable=False),
    sa.Column('msgid_plural', sa.Text(), nullable=False),
    sa.Column('translation_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_locale'), ['locale'], unique=False)

    op.create_table('edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('msgctxt', sa.Text(), nullable=False),
    sa.Column('msgid', sa.Text(), nullable=False),
    sa.Column('msgid_plural', sa.Text(), nullable=False),
    sa.Column('translation_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('edits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edits_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_edits_locale'), ['locale'], unique=False)

    op.create_table('roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'locale', 'role')
    )


def downgrade() -> None:
    op.drop_table('roles')
    with op.batch_alter_table('edits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edits_locale'))
        batch_op.drop_index(batch_op.f('ix_edits_fingerprint'))

    op.drop_table('edits')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvals_locale'))
        batch_op.drop_index(batch_op.f('ix_approvals_fingerprint'))

    op.drop_table('approvals')
    op.drop_table('users')
