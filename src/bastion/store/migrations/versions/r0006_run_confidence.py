"""The workspace server: a run's plan confidence and sampled futures (`server_runs.confidence`,
`server_runs.futures`); both null on older runs (the deterministic plan).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("server_runs") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("futures", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("server_runs") as batch:
        batch.drop_column("futures")
        batch.drop_column("confidence")
