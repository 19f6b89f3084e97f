"""inbox at scale: indexes for the completed and started tabs and a step's open rows; "anyone" candidates

Tasks nobody is named for get the candidate row ('anyone', 'staff') the runner now writes for them, so
"tasks I may claim" is an index lookup rather than a NOT EXISTS over every open task (issue 17).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 13:30:00.000000
"""

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_completed_by_status', ['completed_by', 'status'], unique=False)
        batch_op.create_index('ix_human_task_instance_status', ['instance_id', 'status'], unique=False)
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index('ix_process_instance_started_by_status', ['started_by', 'status'], unique=False)
    op.execute(
        "INSERT INTO task_candidate (task_id, kind, name) "
        "SELECT id, 'anyone', 'staff' FROM human_task "
        "WHERE NOT EXISTS (SELECT 1 FROM task_candidate c WHERE c.task_id = human_task.id)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM task_candidate WHERE kind = 'anyone' AND name = 'staff'")
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instance_started_by_status')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_instance_status')
        batch_op.drop_index('ix_human_task_completed_by_status')
