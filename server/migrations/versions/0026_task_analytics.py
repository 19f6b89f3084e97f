"""human_task (process_key, status, name) INCLUDE (created_at, completed_at, due_at, id): the task charts' index

A process dashboard groups a process's tasks by step, status or group and reads their times (average and p90
time per step, overdue per group): an index-only scan of this one instead of the wide table, in step order
(bench/analytics.py, 1,000,000 task rows).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 23:10:00.000000
"""

from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_human_task_process_status_name', 'human_task', ['process_key', 'status', 'name'],
                    postgresql_include=['created_at', 'completed_at', 'due_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_human_task_process_status_name', table_name='human_task')
