"""follow-up outreach: the contact log of each due or overdue time point

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:00:00

- `follow_up_contacts`: one row per attempt to reach a patient about a follow-up time point (named by
  the index surgery's date and the weeks after it): the outcome (called, no answer, left a message,
  letter sent, declined, booked), the day, a note, the next attempt's day, who logged it and when.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("surgery_date", sa.Date(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("time_point", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("next_attempt_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_follow_up_contacts_patient_id_patients"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_contacts")),
    )
    op.create_index(
        "ix_follow_up_contacts_time_point", "follow_up_contacts", ["patient_id", "surgery_date", "weeks"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_follow_up_contacts_time_point", table_name="follow_up_contacts")
    op.drop_table("follow_up_contacts")
