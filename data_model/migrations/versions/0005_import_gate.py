"""imports written in batches behind a gate; audit entries named by their transaction (no global write lock)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00

- `imports`: one row per import run; `import_id` on patients, surgeries, visits, treatments and audit_log
  marks the rows a run wrote, hidden from readers until the run is done (data_model/import_runs.py).
- audit_log ids never come back (SQLite AUTOINCREMENT; PostgreSQL's sequence never reuses them).
- PostgreSQL: audit_log.xact_id (the writing transaction) and audit_transactions (one row per
  transaction that wrote audit entries, kept by a statement trigger), so that a reader finds what
  committed after its snapshot without every writer serialising on one lock (data_model/changes.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STAGED = ("patients", "surgeries", "visits", "treatments")
NOT_NULL_IMPORT = sa.text("import_id IS NOT NULL")
NOT_NULL_XACT = sa.text("xact_id IS NOT NULL")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "audit_transactions",
        sa.Column("xact_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("xact_id", name=op.f("pk_audit_transactions")),
    )
    for table in STAGED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
            batch_op.create_index(
                f"ix_{table}_import",
                ["import_id"],
                unique=False,
                sqlite_where=NOT_NULL_IMPORT,
                postgresql_where=NOT_NULL_IMPORT,
            )
    # SQLite rebuilds the table here (AUTOINCREMENT is part of its definition).
    with op.batch_alter_table(
        "audit_log",
        schema=None,
        recreate="always" if not postgres else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("xact_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            "ix_audit_log_import",
            ["import_id"],
            unique=False,
            sqlite_where=NOT_NULL_IMPORT,
            postgresql_where=NOT_NULL_IMPORT,
        )
        batch_op.create_index(
            "ix_audit_log_xact", ["xact_id"], unique=False, sqlite_where=NOT_NULL_XACT, postgresql_where=NOT_NULL_XACT
        )
    if postgres:
        # xid8 (PostgreSQL 13+) as bigint: 64 bits that never wrap, comparable with a snapshot's xmin.
        op.execute("ALTER TABLE audit_log ALTER COLUMN xact_id SET DEFAULT (pg_current_xact_id()::text::bigint)")
        op.execute("""
            CREATE FUNCTION paintrail_audit_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO audit_transactions (xact_id) VALUES (pg_current_xact_id()::text::bigint)
                ON CONFLICT DO NOTHING;
                RETURN NULL;
            END $$""")
        op.execute(
            "CREATE TRIGGER audit_log_transaction AFTER INSERT ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION paintrail_audit_transaction()"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER audit_log_transaction ON audit_log")
        op.execute("DROP FUNCTION paintrail_audit_transaction()")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_xact")
        batch_op.drop_index("ix_audit_log_import")
        batch_op.drop_column("xact_id")
        batch_op.drop_column("import_id")
    for table in STAGED:
        # Not batch mode: SQLite's batch rebuild of a table drops the indexes it cannot reflect, such as
        # patients' unique lower(mrn) of 0003; ALTER TABLE ... DROP COLUMN (SQLite 3.35+) keeps them.
        op.drop_index(f"ix_{table}_import", table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN import_id")
    op.drop_table("audit_transactions")
    op.drop_table("imports")
