"""element passages: each time a token entered an element, for the diagram heatmap (issue 13)

Append-only; see server/models/passage.py. Instances that ran before this table have no rows: the
heatmap says so instead of guessing.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 19:40:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'element_passage',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('element_id', sa.String(length=255), nullable=False),
        sa.Column('element_type', sa.String(length=40), nullable=False),
        sa.Column('flow_id', sa.String(length=255), nullable=True),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('entered_at', sa.DateTime(), nullable=False),
        sa.Column('left_at', sa.DateTime(), nullable=True),
        sa.Column('outcome', sa.String(length=9), nullable=True),
        sa.Column('seconds', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_element_passage_ended', 'element_passage', ['version_id', 'element_id', 'flow_id', 'outcome'],
                    postgresql_include=['seconds', 'entered_at'], postgresql_where=sa.text('outcome IS NOT NULL'),
                    sqlite_where=sa.text('outcome IS NOT NULL'))
    op.create_index('ix_element_passage_seconds', 'element_passage', ['version_id', 'element_id', 'seconds'],
                    postgresql_where=sa.text('seconds IS NOT NULL'), sqlite_where=sa.text('seconds IS NOT NULL'))
    op.create_index('ix_element_passage_version_entered', 'element_passage', ['version_id', 'entered_at'])
    op.create_index('ix_element_passage_instance', 'element_passage', ['instance_id'])
    op.create_index('ix_element_passage_open', 'element_passage', ['instance_id'],
                    postgresql_where=sa.text('left_at IS NULL'), sqlite_where=sa.text('left_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_element_passage_open', table_name='element_passage')
    op.drop_index('ix_element_passage_instance', table_name='element_passage')
    op.drop_index('ix_element_passage_version_entered', table_name='element_passage')
    op.drop_index('ix_element_passage_seconds', table_name='element_passage')
    op.drop_index('ix_element_passage_ended', table_name='element_passage')
    op.drop_table('element_passage')
