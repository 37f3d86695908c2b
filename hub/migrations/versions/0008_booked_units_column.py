"""booked units column: the day's units per supplier read from one index

Every intake batch sums the units on each supplier's live purchase orders created since the
start of the day (hub.adapters.repository.units_booked_since). Summing the lines meant one
lookup into po_lines per purchase order of the day, so each batch cost more as the day went
on. purchase_orders.units holds the sum of the purchase order's line quantities (written
with the lines), and the index (created_at, partner_id, state, units) answers the whole
question; it replaces 0007's (created_at, partner_id, state).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('units', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE purchase_orders SET units = (SELECT coalesce(sum(po_lines.quantity), 0) "
               "FROM po_lines WHERE po_lines.purchase_order_id = purchase_orders.id)")
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_orders_created_at')
        batch_op.create_index('ix_purchase_orders_booked', ['created_at', 'partner_id', 'state', 'units'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_orders_booked')
        batch_op.create_index('ix_purchase_orders_created_at', ['created_at', 'partner_id', 'state'],
                              unique=False)
        batch_op.drop_column('units')
