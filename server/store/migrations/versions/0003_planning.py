"""planning: supervision duty of organisations, registers, annual plans, coverage

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_supervision_duty', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # R1.2: the three municipal departments seeded by 0001 all have supervision duties.
    op.execute("UPDATE organisations SET has_supervision_duty = TRUE "
               "WHERE code IN ('yingji', 'zhujian', 'jiaotong')")

    op.create_table('external_inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=40), nullable=False),
    sa.Column('body', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('joint_with_city', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('registered_by', sa.String(length=80), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation'], ['organisations.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('external_inspections', schema=None) as batch_op:
        batch_op.create_index('ix_external_inspections_org_year', ['organisation', 'year'],
                              unique=False)

    op.create_table('inspection_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=40), nullable=False),
    sa.Column('inspection_type', sa.String(length=20), nullable=False),
    sa.Column('onsite_start', sa.Date(), nullable=False),
    sa.Column('fieldwork_end', sa.Date(), nullable=True),
    sa.Column('joint_with_province', sa.Boolean(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('registered_by', sa.String(length=80), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ),
    sa.ForeignKeyConstraint(['organisation'], ['organisations.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id')
    )
    with op.batch_alter_table('inspection_history', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_history_org', ['organisation', 'onsite_start'],
                              unique=False)

    op.create_table('inspection_plans',
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('started_by', sa.String(length=80), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=80), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inspections', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ),
    sa.PrimaryKeyConstraint('instance_id')
    )
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_plans_year', ['year', 'state'], unique=False)

    op.create_table('planning_settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('coverage_warnings',
    sa.Column('cycle_start_year', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uncovered', sa.JSON(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ),
    sa.PrimaryKeyConstraint('cycle_start_year')
    )


def downgrade():
    op.drop_table('coverage_warnings')
    op.drop_table('planning_settings')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_plans_year')
    op.drop_table('inspection_plans')
    with op.batch_alter_table('inspection_history', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_history_org')
    op.drop_table('inspection_history')
    with op.batch_alter_table('external_inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_external_inspections_org_year')
    op.drop_table('external_inspections')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('has_supervision_duty')
