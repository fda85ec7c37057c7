"""flag reviews: a re-check date, and undo (who and when)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:10:00

- `flag_reviews.recheck_on`: from this day on the review no longer holds and the patient is back on the
  worklist.
- `flag_reviews.undone_at`, `undone_by`: an undone review never holds; the row is kept and the undo is
  audited like any other update.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ("recheck_on", "undone_at", "undone_by")


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN on both SQLite and PostgreSQL: nullable columns, no table rebuild.
    op.add_column("flag_reviews", sa.Column("recheck_on", sa.Date(), nullable=True))
    op.add_column("flag_reviews", sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("flag_reviews", sa.Column("undone_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Not batch mode: SQLite's batch rebuild can drop indexes it cannot reflect (see 0005).
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE flag_reviews DROP COLUMN {column}")
