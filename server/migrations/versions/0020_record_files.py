"""record attachments: a stored file belongs to a process instance or to a record's attachment field

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 16:20:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column('record_type', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('record_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_stored_file_record', ['record_type', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_file_record')
        batch_op.drop_column('record_id')
        batch_op.drop_column('record_type')
        batch_op.alter_column('instance_id', existing_type=sa.String(length=36), nullable=False)
