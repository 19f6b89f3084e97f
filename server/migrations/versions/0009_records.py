"""records: record types (a row per saved version); each type's records get a table of their own at save

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01 11:40:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'record_type',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name_en', sa.String(length=255), nullable=False),
        sa.Column('name_zh', sa.String(length=255), nullable=False),
        sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                  nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=False),
        sa.Column('table_name', sa.String(length=63), nullable=False),
        sa.Column('is_latest', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=150), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_record_type')),
        sa.UniqueConstraint('key', 'version', name=op.f('uq_record_type_key')),
    )
    with op.batch_alter_table('record_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_type_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_type_is_latest'), ['is_latest'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_type_is_latest'))
        batch_op.drop_index(batch_op.f('ix_record_type_key'))
    op.drop_table('record_type')
