"""order changes: changes and cancellations from the channel, per order and per purchase order

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-12 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import hub.adapters.tables


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('change_id', sa.String(length=80), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=80), server_default='', nullable=False),
    sa.Column('result', sa.Text(), server_default='[]', nullable=False),
    sa.Column('created_at', hub.adapters.tables.UtcDateTime(), nullable=False),
    sa.Column('updated_at', hub.adapters.tables.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_changes_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_changes')),
    sa.UniqueConstraint('order_id', 'change_id', name=op.f('uq_order_changes_order_id_change_id'))
    )
    with op.batch_alter_table('order_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_changes_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_changes_state'), ['state'], unique=False)

    op.create_table('po_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_change_id', sa.Integer(), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('sequence', sa.Integer(), server_default='0', nullable=False),
    sa.Column('purpose', sa.String(length=2), server_default='', nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('interchange_id', sa.Integer(), nullable=True),
    sa.Column('lines', sa.Text(), server_default='[]', nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', hub.adapters.tables.UtcDateTime(), nullable=False),
    sa.Column('sent_at', hub.adapters.tables.UtcDateTime(), nullable=True),
    sa.Column('acked_at', hub.adapters.tables.UtcDateTime(), nullable=True),
    sa.Column('answered_at', hub.adapters.tables.UtcDateTime(), nullable=True),
    sa.Column('updated_at', hub.adapters.tables.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['interchange_id'], ['interchanges.id'], name=op.f('fk_po_changes_interchange_id_interchanges'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_change_id'], ['order_changes.id'], name=op.f('fk_po_changes_order_change_id_order_changes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], name=op.f('fk_po_changes_purchase_order_id_purchase_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_po_changes'))
    )
    with op.batch_alter_table('po_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_po_changes_interchange_id'), ['interchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_po_changes_order_change_id'), ['order_change_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_po_changes_purchase_order_id'), ['purchase_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_po_changes_state'), ['state'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_delivery', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('requested_delivery')

    with op.batch_alter_table('po_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_po_changes_state'))
        batch_op.drop_index(batch_op.f('ix_po_changes_purchase_order_id'))
        batch_op.drop_index(batch_op.f('ix_po_changes_order_change_id'))
        batch_op.drop_index(batch_op.f('ix_po_changes_interchange_id'))
    op.drop_table('po_changes')

    with op.batch_alter_table('order_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_changes_state'))
        batch_op.drop_index(batch_op.f('ix_order_changes_order_id'))
    op.drop_table('order_changes')
