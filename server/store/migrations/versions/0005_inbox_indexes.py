"""inbox indexes: the task listing's index also covers the sort and scope columns; a
notifications index for a team member's (by instance) unread count

Revision ID: 0005
Revises: 0004
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD = ['state', 'role', 'organisation', 'due_at']
# Everything the inbox filters, scopes (a team member's roster by instance) and sorts by: the
# sort and the count read the index alone, the table only for the rows of the page.
NEW = ['state', 'role', 'organisation', 'due_at', 'created_at', 'instance_id', 'overdue']


def upgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_human_tasks_inbox')
        batch_op.create_index('ix_human_tasks_listing', NEW, unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_role_instance', ['role', 'instance_id', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_role_instance')
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_human_tasks_listing')
        batch_op.create_index('ix_human_tasks_inbox', OLD, unique=False)
