"""The workspace server: the audit chain's head (`audit_head`: one row, the last record's `seq` and
`hash`), moved in the transaction of every append, so that `bastion audit verify` sees the newest
records deleted (a cut tail), which the hash chain alone cannot. Filled from the trail as it is.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    last = op.get_bind().execute(sa.text("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1")).first()
    seq, hash_ = (0, "0" * 64) if last is None else (int(last[0]), str(last[1]))
    op.bulk_insert(head, [{"id": 1, "seq": seq, "hash": hash_}])


def downgrade() -> None:
    op.drop_table("audit_head")
