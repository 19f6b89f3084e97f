"""candidate state: each task_candidate row mirrors whether its task is open and unassigned (issue 17)

`task_candidate.state` is 'c' (open, nobody holds it: claimable), 'a' (open, assigned) or NULL (closed).
Triggers keep it in step with `human_task.status` / `assignee` in the writing transaction, whichever code
path changes them, so the groups badge and "open tasks of group G" read a partial index of open candidate
rows instead of probing a task row for each of the (mostly completed) candidates.

Plain ADD COLUMN and CREATE INDEX (no batch mode): SQLite would otherwise rebuild the table and lose its
triggers.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 16:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

STATE = "CASE WHEN {t}.status <> 'open' THEN NULL WHEN {t}.assignee IS NULL THEN 'c' ELSE 'a' END"

SQLITE = [
    "CREATE TRIGGER task_candidate_state_insert AFTER INSERT ON task_candidate BEGIN "
    "UPDATE task_candidate SET state = (SELECT " + STATE.format(t="human_task") + " FROM human_task "
    "WHERE human_task.id = NEW.task_id) "
    "WHERE task_id = NEW.task_id AND kind = NEW.kind AND name = NEW.name; END",
    "CREATE TRIGGER human_task_candidate_state AFTER UPDATE OF status, assignee ON human_task "
    "WHEN OLD.status IS NOT NEW.status OR OLD.assignee IS NOT NEW.assignee BEGIN "
    "UPDATE task_candidate SET state = " + STATE.format(t="NEW") + " WHERE task_id = NEW.id; END",
]
POSTGRESQL = [
    "CREATE FUNCTION task_candidate_state_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "SELECT " + STATE.format(t="h") + " INTO NEW.state FROM human_task h WHERE h.id = NEW.task_id; "
    "RETURN NEW; END $$",
    "CREATE TRIGGER task_candidate_state_insert BEFORE INSERT ON task_candidate "
    "FOR EACH ROW EXECUTE FUNCTION task_candidate_state_insert()",
    "CREATE FUNCTION human_task_candidate_state() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE task_candidate SET state = " + STATE.format(t="NEW") + " WHERE task_id = NEW.id; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER human_task_candidate_state AFTER UPDATE OF status, assignee ON human_task FOR EACH ROW "
    "WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee IS DISTINCT FROM NEW.assignee) "
    "EXECUTE FUNCTION human_task_candidate_state()",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column('task_candidate', sa.Column('state', sa.String(length=1), nullable=True))
    op.execute("UPDATE task_candidate SET state = (SELECT " + STATE.format(t="human_task") + " FROM human_task "
               "WHERE human_task.id = task_candidate.task_id)")
    op.create_index('ix_task_candidate_open', 'task_candidate', ['kind', 'name', 'state', 'task_id'],
                    postgresql_where=sa.text('state IS NOT NULL'), sqlite_where=sa.text('state IS NOT NULL'))
    for statement in POSTGRESQL if dialect == "postgresql" else SQLITE:
        op.execute(statement)
    # The inbox tabs read their page in date order straight from these (no sort of a user's 40,000
    # completed tasks); the delegated tab had no index at all.
    op.drop_index('ix_human_task_assignee_status', table_name='human_task')
    op.drop_index('ix_human_task_completed_by_status', table_name='human_task')
    op.create_index('ix_human_task_assignee_status_created', 'human_task', ['assignee', 'status', 'created_at'])
    op.create_index('ix_human_task_completed_by_status_created', 'human_task',
                    ['completed_by', 'status', 'created_at'])
    op.drop_index('ix_process_instance_started_by_status', table_name='process_instance')
    op.create_index('ix_process_instance_started_by_status_id', 'process_instance', ['started_by', 'status', 'id'])
    # Compact audit rows (hash version 3) store no subject_id for a task's or instance's own events.
    op.drop_index('ix_audit_event_subject', table_name='audit_event')
    op.create_index('ix_audit_event_subject', 'audit_event', ['subject_type', 'subject_id', 'seq'],
                    postgresql_where=sa.text('subject_id IS NOT NULL'), sqlite_where=sa.text('subject_id IS NOT NULL'))
    # Prefixes of the composite indexes above (0016, 0019): kept nothing apart but bytes.
    op.drop_index('ix_human_task_instance_id', table_name='human_task')
    op.drop_index('ix_human_task_completed_by', table_name='human_task')
    op.create_index('ix_human_task_owner_status', 'human_task', ['owner', 'status'],
                    postgresql_where=sa.text('owner IS NOT NULL'), sqlite_where=sa.text('owner IS NOT NULL'))


def downgrade() -> None:
    op.create_index('ix_human_task_completed_by', 'human_task', ['completed_by'])
    op.create_index('ix_human_task_instance_id', 'human_task', ['instance_id'])
    op.drop_index('ix_audit_event_subject', table_name='audit_event')
    op.create_index('ix_audit_event_subject', 'audit_event', ['subject_type', 'subject_id', 'seq'])
    op.drop_index('ix_human_task_owner_status', table_name='human_task')
    op.drop_index('ix_process_instance_started_by_status_id', table_name='process_instance')
    op.create_index('ix_process_instance_started_by_status', 'process_instance', ['started_by', 'status'])
    op.drop_index('ix_human_task_completed_by_status_created', table_name='human_task')
    op.drop_index('ix_human_task_assignee_status_created', table_name='human_task')
    op.create_index('ix_human_task_completed_by_status', 'human_task', ['completed_by', 'status'])
    op.create_index('ix_human_task_assignee_status', 'human_task', ['assignee', 'status'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER human_task_candidate_state ON human_task")
        op.execute("DROP TRIGGER task_candidate_state_insert ON task_candidate")
        op.execute("DROP FUNCTION human_task_candidate_state()")
        op.execute("DROP FUNCTION task_candidate_state_insert()")
    else:
        op.execute("DROP TRIGGER human_task_candidate_state")
        op.execute("DROP TRIGGER task_candidate_state_insert")
    op.drop_index('ix_task_candidate_open', table_name='task_candidate')
    op.drop_column('task_candidate', 'state')
