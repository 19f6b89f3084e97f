"""approval actions: delegation and added signers on human_task, urge time, CC rows, substitutes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 13:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=150), nullable=True))
        batch_op.add_column(sa.Column('delegation', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column(
            'signers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=True))
        batch_op.add_column(sa.Column('urged_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('substitute', sa.String(length=150), nullable=True))
        batch_op.add_column(sa.Column('substitute_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('substitute_until', sa.Date(), nullable=True))
    op.create_table(
        'instance_cc',
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('username', sa.String(length=150), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('added_by', sa.String(length=150), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instance_id', 'username'),
    )
    op.create_index('ix_instance_cc_user_created', 'instance_cc', ['username', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_instance_cc_user_created', table_name='instance_cc')
    op.drop_table('instance_cc')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('substitute_until')
        batch_op.drop_column('substitute_from')
        batch_op.drop_column('substitute')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('urged_at')
        batch_op.drop_column('signers')
        batch_op.drop_column('delegation')
        batch_op.drop_column('owner')
