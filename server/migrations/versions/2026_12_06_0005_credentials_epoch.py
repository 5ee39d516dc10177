"""credentials epoch: a password change or reset, and a deactivation, revoke the user's bearer tokens

What it assumes of existing data: every user starts in epoch 0. Tokens issued before this revision carry
no epoch and are refused, so API clients sign in once more after the upgrade (web sessions are kept).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("credentials_epoch")
