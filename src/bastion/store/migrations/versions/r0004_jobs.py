"""Jobs: progress time, attempt, kind (run | study) and a study's request on `server_runs`; indexes for
the queue and for scenario pages.

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
    with op.batch_alter_table("server_runs") as batch:
        batch.add_column(sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="run"))
        batch.add_column(sa.Column("spec", sa.JSON(), nullable=True))
    # The queue takes the oldest queued job: one index serves `status = 'queued' ORDER BY created_at`.
    op.create_index("ix_server_runs_status_created_at", "server_runs", ["status", "created_at"])
    # Scenario lists are pages in creation order.
    op.create_index("ix_server_scenarios_created_at_id", "server_scenarios", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_server_scenarios_created_at_id", table_name="server_scenarios")
    op.drop_index("ix_server_runs_status_created_at", table_name="server_runs")
    with op.batch_alter_table("server_runs") as batch:
        for column in ("spec", "kind", "attempt", "progress_at"):
            batch.drop_column(column)
