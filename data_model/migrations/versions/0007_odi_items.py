"""ODI items: the ten section scores of a visit, and whether its ODI total was computed from them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:50:00

- `visits.odi_<section>` (ten SMALLINT columns, 0–5, NULL: not answered), one per section of
  data_model/odi.py: stored on the visit row, so that the audit trail keeps a visit's answers with its
  total, before and after any correction.
- `visits.odi_source`: 'sections' (the total was computed from the section scores) or 'total' (entered or
  imported as a total alone). Visits that already hold an ODI had it entered as a total: marked so.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SECTIONS = (
    "pain_intensity",
    "personal_care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex_life",
    "social_life",
    "travelling",
)
COLUMNS = ("odi_source", *(f"odi_{key}" for key in SECTIONS))


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN on both SQLite and PostgreSQL: nullable columns, no table rebuild.
    op.add_column("visits", sa.Column("odi_source", sa.String(length=16), nullable=True))
    for key in SECTIONS:
        op.add_column("visits", sa.Column(f"odi_{key}", sa.SmallInteger(), nullable=True))
    op.execute("UPDATE visits SET odi_source = 'total' WHERE odi IS NOT NULL")


def downgrade() -> None:
    # Not batch mode: SQLite's batch rebuild can drop indexes it cannot reflect (see 0005).
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE visits DROP COLUMN {column}")
