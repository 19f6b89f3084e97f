"""external tasks: Camunda 7 service tasks waiting for outside workers, with their locks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 13:30:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'external_task',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('process_key', sa.String(length=255), nullable=False),
        sa.Column('element_id', sa.String(length=255), nullable=False),
        sa.Column('topic', sa.String(length=255), nullable=False),
        sa.Column('worker_id', sa.String(length=255), nullable=True),
        sa.Column('lock_expires_at', sa.DateTime(), nullable=True),
        sa.Column('retries', sa.Integer(), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('error_details', sa.Text(), nullable=True),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_external_task_instance_id', 'external_task', ['instance_id'])
    op.create_index('ix_external_task_topic_lock', 'external_task', ['topic', 'lock_expires_at'])


def downgrade() -> None:
    op.drop_index('ix_external_task_topic_lock', table_name='external_task')
    op.drop_index('ix_external_task_instance_id', table_name='external_task')
    op.drop_table('external_task')
