"""import_upload: a checked staff file waiting for the admin's "Impor"

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:12:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.models_base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_at", server.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uploaded_by"], ["user.id"], name=op.f("fk_import_upload_uploaded_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_upload")),
    )
    with op.batch_alter_table("import_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_upload_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_upload_uploaded_by"), ["uploaded_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("import_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_upload_uploaded_by"))
        batch_op.drop_index(batch_op.f("ix_import_upload_created_at"))
    op.drop_table("import_upload")
