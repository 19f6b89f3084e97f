"""record views: saved views of record lists (filter, sort, columns), per user, optionally shared

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 13:05:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'record_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('type_key', sa.String(length=40), nullable=False),
        sa.Column('owner', sa.String(length=150), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('filter', sa.Text(), nullable=False),
        sa.Column('sort', sa.String(length=400), nullable=False),
        sa.Column('columns', sa.JSON(), nullable=False),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_record_view')),
        sa.UniqueConstraint('type_key', 'owner', 'name', name=op.f('uq_record_view_type_key')),
    )
    with op.batch_alter_table('record_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_view_type_key'), ['type_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_view_type_key'))
    op.drop_table('record_view')
