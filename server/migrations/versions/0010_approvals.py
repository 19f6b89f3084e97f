"""approvals: the user attributes assignment rules read (department, approval limit)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:40:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('approval_limit', sa.Numeric(precision=18, scale=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('approval_limit')
        batch_op.drop_column('department')
