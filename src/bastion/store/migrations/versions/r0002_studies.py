"""Studies: studies and study_runs (a study's variants and their member runs).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("study_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scenario_name", sa.Text(), nullable=False),
        sa.Column("scenario_file", sa.Text(), nullable=False),
        sa.Column("scenario_text", sa.Text(), nullable=False),
        sa.Column("scenario_hash", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("paths", sa.Integer(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("json", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("study_id", name=op.f("pk_studies")),
    )
    op.create_index(op.f("ix_studies_created_at"), "studies", ["created_at"])
    op.create_index(op.f("ix_studies_scenario_hash"), "studies", ["scenario_hash"])
    op.create_table(
        "study_runs",
        sa.Column("study_id", sa.String(length=64), nullable=False),
        sa.Column("variant_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.study_id"], name=op.f("fk_study_runs_study_id_studies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_study_runs_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("study_id", "variant_id", name=op.f("pk_study_runs")),
    )
    op.create_index(op.f("ix_study_runs_run_id"), "study_runs", ["run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_study_runs_run_id"), table_name="study_runs")
    op.drop_table("study_runs")
    op.drop_index(op.f("ix_studies_scenario_hash"), table_name="studies")
    op.drop_index(op.f("ix_studies_created_at"), table_name="studies")
    op.drop_table("studies")
