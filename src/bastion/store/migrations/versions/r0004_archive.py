"""The workspace server: archived scenarios (`server_scenarios.archived`).

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


def upgrade() -> None:
    with op.batch_alter_table("server_scenarios") as batch:
        batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index(op.f("ix_server_scenarios_archived"), ["archived"])


def downgrade() -> None:
    with op.batch_alter_table("server_scenarios") as batch:
        batch.drop_index(op.f("ix_server_scenarios_archived"))
        batch.drop_column("archived")
