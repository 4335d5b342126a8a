"""The workspace server: archived scenarios (`server_scenarios.archived`) and browser sessions
(`server_sessions`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("server_scenarios") as batch:
        batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index(op.f("ix_server_scenarios_archived"), ["archived"])
    op.create_table(
        "server_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_server_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_server_sessions")),
    )
    op.create_index(op.f("ix_server_sessions_user_id"), "server_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("server_sessions")
    with op.batch_alter_table("server_scenarios") as batch:
        batch.drop_index(op.f("ix_server_scenarios_archived"))
        batch.drop_column("archived")
