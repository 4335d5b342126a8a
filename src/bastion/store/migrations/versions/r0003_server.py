"""The workspace server: users, api_tokens, login_failures, server_scenarios, scenario_releases,
scenario_revisions, audit_records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("clearance", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_api_tokens")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    for column in ("username", "address", "at"):
        op.create_index(op.f(f"ix_login_failures_{column}"), "login_failures", [column])
    op.create_table(
        "server_scenarios",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=3), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("level_rank", sa.Integer(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_scenarios")),
    )
    op.create_index(op.f("ix_server_scenarios_owner"), "server_scenarios", ["owner"])
    op.create_index(op.f("ix_server_scenarios_level_rank"), "server_scenarios", ["level_rank"])
    op.create_table(
        "scenario_releases",
        sa.Column("scenario_id", sa.String(length=32), nullable=False),
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["server_scenarios.id"],
            name=op.f("fk_scenario_releases_scenario_id_server_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "nation", name=op.f("pk_scenario_releases")),
    )
    op.create_table(
        "scenario_revisions",
        sa.Column("scenario_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("parent", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("releasability", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["server_scenarios.id"],
            name=op.f("fk_scenario_revisions_scenario_id_server_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "number", name=op.f("pk_scenario_revisions")),
    )
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_records")),
    )
    for column in ("at", "actor", "action"):
        op.create_index(op.f(f"ix_audit_records_{column}"), "audit_records", [column])
    op.create_table(
        "server_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scenario_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("paths", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("report_html", sa.LargeBinary(), nullable=True),
        sa.Column("report_xlsx", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["server_scenarios.id"],
            name=op.f("fk_server_runs_scenario_id_server_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_runs")),
    )
    for column in ("scenario_id", "created_at", "status"):
        op.create_index(op.f(f"ix_server_runs_{column}"), "server_runs", [column])


def downgrade() -> None:
    for table in (
        "server_runs",
        "audit_records",
        "scenario_revisions",
        "scenario_releases",
        "server_scenarios",
        "login_failures",
        "api_tokens",
        "users",
    ):
        op.drop_table(table)
