"""record imports: one row per upload (status, counts, resume point), one per refused data row

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 13:03:35.600134
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('record_import',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('type_key', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Integer(), nullable=False),
    sa.Column('preview', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=150), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('progress_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_import'))
    )
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_import_type_key'), ['type_key'], unique=False)

    op.create_table('record_import_error',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.String(length=36), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('cells', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('problems', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['record_import.id'], name=op.f('fk_record_import_error_import_id_record_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_import_error'))
    )
    with op.batch_alter_table('record_import_error', schema=None) as batch_op:
        batch_op.create_index('ix_record_import_error_import_row', ['import_id', 'row_number'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('record_import_error', schema=None) as batch_op:
        batch_op.drop_index('ix_record_import_error_import_row')

    op.drop_table('record_import_error')
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_import_type_key'))

    op.drop_table('record_import')
