"""record_import.numbers: the auto-numbers an abort-mode import reserved before writing its first chunk

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 19:45:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('record_import', sa.Column('numbers', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                             nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.drop_column('numbers')
