"""audit events get a subject, a hash version and a place in one of several chains

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000

Existing rows keep their SHA-256 formula (hash_version 1) and become the start of chain 1
(chain_seq = seq). Sixteen chain heads exist from now on (server/audit.py takes the first free one);
on PostgreSQL a sequence hands out the global `seq`.
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CHAINS = 16
GENESIS = "0" * 64
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
]


def _number_existing_rows(dialect: str) -> None:
    # The append-only trigger is lifted for exactly this one statement, inside the migration's transaction.
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        op.execute("UPDATE audit_event SET chain_seq = seq")
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        op.execute("UPDATE audit_event SET chain_seq = seq")
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # Plain ADD COLUMN (not batch mode): SQLite would otherwise rebuild the table and lose its triggers.
    op.add_column('audit_event', sa.Column('chain', sa.Integer(), server_default='1', nullable=False))
    op.add_column('audit_event', sa.Column('chain_seq', sa.Integer(), server_default='0', nullable=False))
    op.add_column('audit_event', sa.Column('hash_version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('audit_event', sa.Column('subject_type', sa.String(length=30), nullable=True))
    op.add_column('audit_event', sa.Column('subject_id', sa.String(length=255), nullable=True))
    _number_existing_rows(dialect)
    op.create_index('ix_audit_event_chain_seq', 'audit_event', ['chain', 'chain_seq'], unique=True)
    op.create_index('ix_audit_event_subject', 'audit_event', ['subject_type', 'subject_id', 'seq'], unique=False)

    op.add_column('audit_head', sa.Column('last_seq', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE audit_head SET last_seq = seq")
    existing = {row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM audit_head"))}
    heads = sa.table('audit_head', sa.column('id', sa.Integer), sa.column('seq', sa.Integer),
                     sa.column('hash', sa.String), sa.column('last_seq', sa.Integer))
    missing = [{"id": i, "seq": 0, "hash": GENESIS, "last_seq": 0} for i in range(1, CHAINS + 1) if i not in existing]
    if missing:
        op.bulk_insert(heads, missing)
    if dialect == "postgresql":
        op.execute("CREATE SEQUENCE audit_event_seq")
        op.execute("SELECT setval('audit_event_seq', (SELECT coalesce(max(seq), 0) + 1 FROM audit_event), false)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS audit_event_seq")
    op.execute("DELETE FROM audit_head WHERE seq = 0")
    op.drop_column('audit_head', 'last_seq')
    op.drop_index('ix_audit_event_subject', table_name='audit_event')
    op.drop_index('ix_audit_event_chain_seq', table_name='audit_event')
    for column in ('subject_id', 'subject_type', 'hash_version', 'chain_seq', 'chain'):
        op.drop_column('audit_event', column)
