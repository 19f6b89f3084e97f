"""jobs claimable by workers; messages and signals instances wait for; tasks of called processes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 19:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_human_task_version_id_process_version'), 'process_version',
                                    ['version_id'], ['id'])

    op.create_table('event_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('element_id', sa.String(length=255), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_event_subscription_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_subscription'))
    )
    with op.batch_alter_table('event_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_subscription_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_event_subscription_kind_name', ['kind', 'name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_human_task_version_id_process_version'), type_='foreignkey')
        batch_op.drop_column('version_id')
    with op.batch_alter_table('event_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_event_subscription_kind_name')
        batch_op.drop_index(batch_op.f('ix_event_subscription_instance_id'))
    op.drop_table('event_subscription')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('task_id')
