"""instance_record: the record a process instance works on (one per record type)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 16:10:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'instance_record',
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('type_key', sa.String(length=40), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('linked_at', sa.DateTime(), nullable=False),
        sa.Column('linked_by', sa.String(length=150), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE',
                                name=op.f('fk_instance_record_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('instance_id', 'type_key', name=op.f('pk_instance_record')),
    )
    with op.batch_alter_table('instance_record', schema=None) as batch_op:
        batch_op.create_index('ix_instance_record_record', ['type_key', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('instance_record', schema=None) as batch_op:
        batch_op.drop_index('ix_instance_record_record')
    op.drop_table('instance_record')
