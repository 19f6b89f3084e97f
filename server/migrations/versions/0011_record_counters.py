"""record counters (the last number each auto-number field gave out, per type, field and period) and removed fields kept until purged

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 13:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('record_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_fields', sa.JSON().with_variant(
            postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))
    op.create_table(
        'record_counter',
        sa.Column('type_key', sa.String(length=40), nullable=False),
        sa.Column('field', sa.String(length=63), nullable=False),
        sa.Column('period', sa.String(length=20), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('type_key', 'field', 'period', name=op.f('pk_record_counter')),
    )


def downgrade() -> None:
    op.drop_table('record_counter')
    with op.batch_alter_table('record_type', schema=None) as batch_op:
        batch_op.drop_column('removed_fields')
