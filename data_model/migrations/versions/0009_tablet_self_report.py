"""tablet self-report: a sign-in can be locked to one patient's questionnaire

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:10:00

- `sign_ins.tablet_stage`: NULL for an ordinary sign-in; 'questionnaire' while a patient fills in their
  self-report on this browser, 'thanks' once it is sent. Either way the browser shows nothing else until
  a staff member signs in on it again (data_model/access/tablet.py).
- `sign_ins.tablet_patient_id`: the patient whose questionnaire it is (kept server-side only; never in the
  address). No foreign key: the row lives a day at most, and the lock must not hang on the patient row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN on both SQLite and PostgreSQL: nullable columns, no table rebuild.
    op.add_column("sign_ins", sa.Column("tablet_stage", sa.String(length=16), nullable=True))
    op.add_column("sign_ins", sa.Column("tablet_patient_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Not batch mode: SQLite's batch rebuild can drop indexes it cannot reflect (see 0005).
    op.execute("ALTER TABLE sign_ins DROP COLUMN tablet_patient_id")
    op.execute("ALTER TABLE sign_ins DROP COLUMN tablet_stage")
