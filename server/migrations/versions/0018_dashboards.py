"""dashboards: the analytics engine's dashboard definitions (a row per saved version)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 13:05:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dashboard',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title_en', sa.String(length=255), nullable=False),
        sa.Column('title_zh', sa.String(length=255), nullable=False),
        sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                  nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=False),
        sa.Column('is_latest', sa.Boolean(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=150), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard')),
        sa.UniqueConstraint('key', 'version', name=op.f('uq_dashboard_key')),
    )
    with op.batch_alter_table('dashboard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_dashboard_is_latest'), ['is_latest'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dashboard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_is_latest'))
        batch_op.drop_index(batch_op.f('ix_dashboard_key'))
    op.drop_table('dashboard')
