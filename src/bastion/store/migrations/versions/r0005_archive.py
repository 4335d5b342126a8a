"""The workspace server: archived scenarios (`server_scenarios.archived`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
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
