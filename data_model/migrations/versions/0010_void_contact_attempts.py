"""follow-up outreach: a contact attempt logged in error can be voided

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:40:00

- `follow_up_contacts.voided_at`, `voided_by`, `void_reason`: NULL for an attempt that stands; set together
  when staff void one logged in error (wrong patient, wrong outcome). The row stays, and the audit trail
  records the void with who and why; a voided attempt no longer counts towards the time point's state.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN on both SQLite and PostgreSQL: nullable columns, no table rebuild.
    op.add_column("follow_up_contacts", sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("follow_up_contacts", sa.Column("voided_by", sa.String(length=64), nullable=True))
    op.add_column("follow_up_contacts", sa.Column("void_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # Not batch mode: SQLite's batch rebuild can drop indexes it cannot reflect (see 0005).
    op.execute("ALTER TABLE follow_up_contacts DROP COLUMN void_reason")
    op.execute("ALTER TABLE follow_up_contacts DROP COLUMN voided_by")
    op.execute("ALTER TABLE follow_up_contacts DROP COLUMN voided_at")
