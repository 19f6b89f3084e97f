"""parallel signers: a human_task row a signer added beside the assignee (加签 "parallel") works

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 16:10:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signs_for', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_human_task_signs_for', ['signs_for'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_signs_for')
        batch_op.drop_column('signs_for')
