"""instance_state_chunk: a parallel multi-instance's engine state, one row per instance of it; the
instance's open task rows indexed in date order (a completion's nextTasks reads the oldest few)

Existing states stay in process_instance.state and load as before; their next save splits them.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 19:40:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'instance_state_chunk',
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('chunk_id', sa.String(length=36), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE',
                                name=op.f('fk_instance_state_chunk_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('instance_id', 'chunk_id', name=op.f('pk_instance_state_chunk')),
    )
    # Plain index changes (no table rebuild): human_task keeps 0022's triggers.
    op.drop_index('ix_human_task_instance_status', table_name='human_task')
    op.create_index('ix_human_task_instance_status', 'human_task', ['instance_id', 'status', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_human_task_instance_status', table_name='human_task')
    op.create_index('ix_human_task_instance_status', 'human_task', ['instance_id', 'status'])
    op.drop_table('instance_state_chunk')
