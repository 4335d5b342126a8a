"""The workspace server: an index that serves the scenario list's default filter and its order
(`ix_server_scenarios_archived_created_at_id`: live or archived ones, oldest first).

SQLite walked the whole `archived` index and sorted what it found for every list page; with this
index it reads a page's rows in order and stops after them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_server_scenarios_archived_created_at_id", "server_scenarios", ["archived", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_server_scenarios_archived_created_at_id", table_name="server_scenarios")
