"""Login sessions on the server: logging out ends a login for every copy of its cookie.

Replaces users.session_token (one token per person, changed on a password change or disable):
the session cookie now names a row of login_sessions. Everyone logged in before this runs is
logged out once (their cookies name a token, not a login).

Revision ID: 0005
Revises: 0004
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.create_index("ix_login_sessions_user_id", ["user_id"])
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("uq_users_session_token", type_="unique")
        batch_op.drop_column("session_token")


def downgrade() -> None:
    # As 0002 did: a token each for the people who exist, then the column becomes required.
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    for (user_id,) in connection.execute(sa.select(users.c.id)).fetchall():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(session_token=secrets.token_hex(32)))
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_users_session_token", ["session_token"])
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.drop_index("ix_login_sessions_user_id")
    op.drop_table("login_sessions")
