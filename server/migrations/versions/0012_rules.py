"""rules: rule versions, their runs (one per rule and event) and pending schedule firings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 13:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('trigger_type', sa.String(length=20), nullable=False),
        sa.Column('trigger_subject', sa.String(length=255), nullable=True),
        sa.Column('definition', JSON, nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('secret', sa.String(length=128), nullable=True),
        sa.Column('is_latest', sa.Boolean(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=150), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rule')),
        sa.UniqueConstraint('key', 'version', name=op.f('uq_rule_key')),
    )
    with op.batch_alter_table('rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_is_latest'), ['is_latest'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_trigger_subject'), ['trigger_subject'], unique=False)
    op.create_table(
        'rule_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_key', sa.String(length=60), nullable=False),
        sa.Column('rule_version', sa.Integer(), nullable=False),
        sa.Column('event_key', sa.String(length=200), nullable=False),
        sa.Column('trigger', sa.String(length=40), nullable=False),
        sa.Column('context', JSON, nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('depth', sa.Integer(), nullable=False),
        sa.Column('chain', JSON, nullable=False),
        sa.Column('cursor', sa.Integer(), nullable=False),
        sa.Column('steps', JSON, nullable=False),
        sa.Column('results', JSON, nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('failed_action', sa.String(length=60), nullable=True),
        sa.Column('actor', sa.String(length=150), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_run')),
        sa.UniqueConstraint('rule_key', 'event_key', name=op.f('uq_rule_run_rule_key')),
    )
    with op.batch_alter_table('rule_run', schema=None) as batch_op:
        batch_op.create_index('ix_rule_run_rule_created', ['rule_key', 'created_at'], unique=False)
        batch_op.create_index('ix_rule_run_status_created', ['status', 'created_at'], unique=False)
    op.create_table(
        'rule_schedule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_key', sa.String(length=60), nullable=False),
        sa.Column('record_type', sa.String(length=40), nullable=True),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('fired', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_schedule')),
        sa.UniqueConstraint('rule_key', 'record_id', name=op.f('uq_rule_schedule_rule_key')),
    )
    with op.batch_alter_table('rule_schedule', schema=None) as batch_op:
        batch_op.create_index('ix_rule_schedule_due', ['due_at'], unique=False)


def downgrade() -> None:
    op.drop_table('rule_schedule')
    op.drop_table('rule_run')
    op.drop_table('rule')
