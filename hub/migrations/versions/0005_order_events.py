"""order events: what each order's sales channel is told, numbered for the events feed

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import hub.adapters.tables


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_events',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', hub.adapters.tables.UtcDateTime(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_events_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events')),
    sa.UniqueConstraint('order_id', 'sequence', name=op.f('uq_order_events_order_id_sequence'))
    )
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index('ix_order_events_channel_id', ['channel', 'id'], unique=False)
    # The feed's counter exists from the start: two first events at once then take turns on
    # its row instead of both trying to create it.
    op.execute("INSERT INTO counters (name, value) SELECT 'order_events', 0 WHERE NOT EXISTS "
               "(SELECT 1 FROM counters WHERE name = 'order_events')")


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'order_events'")
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index('ix_order_events_channel_id')
    op.drop_table('order_events')
