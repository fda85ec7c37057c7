"""MRNs unique whatever their case: a unique index on lower(mrn)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:30:00

"mrn900001" beside "MRN900001" is one patient registered twice. A database that already holds MRNs
differing only by case (or surrounding spaces) is not changed: the upgrade stops and names them, since
choosing which patient keeps the MRN is a clinical decision no migration can make.
"""

import sqlalchemy as sa
from alembic import op

from data_model.migrate import SchemaUpgradeRefused

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MAX_SHOWN = 10


def _clashes(conn) -> list[tuple[str, str]]:
    """(MRN, patient ids) of every MRN held by more than one patient once case and spaces are ignored."""
    rows = conn.execute(
        sa.text(
            "SELECT id, mrn FROM patients WHERE lower(trim(mrn)) IN ("
            "SELECT lower(trim(mrn)) FROM patients GROUP BY lower(trim(mrn)) "
            "HAVING count(*) > 1) ORDER BY lower(trim(mrn)), id"
        )
    ).all()
    groups: dict[str, list[str]] = {}
    for pid, mrn in rows:
        groups.setdefault(mrn.strip().lower(), []).append(f"{mrn.strip()} (patient {pid})")
    return [(key, " and ".join(held)) for key, held in groups.items()]


def upgrade() -> None:
    clashes = _clashes(op.get_bind())
    if clashes:
        shown = "; ".join(held for _, held in clashes[:MAX_SHOWN])
        more = f"; and {len(clashes) - MAX_SHOWN} more" if len(clashes) > MAX_SHOWN else ""
        raise SchemaUpgradeRefused(
            f"This database holds {len(clashes)} MRN(s) given to more than one patient, written in another case "
            f"or with spaces: {shown}{more}. PainTrail now treats an MRN as the same whatever its case, so it "
            "cannot tell these patients apart. Nothing was changed. Give each of these patients its own MRN "
            "(or merge the records) with the version of PainTrail that wrote them, then start again."
        )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index("uq_patients_mrn_lower", [sa.text("lower(mrn)")], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("uq_patients_mrn_lower")
