"""booked units index: a supplier's units booked today without reading every purchase order

Routing checks each supplier's ``max_units_per_day`` against the units on its live purchase
orders created since the start of the day (hub.adapters.repository.units_booked_since), once
per intake batch. Without an index on purchase_orders.created_at that was a scan of every
purchase order ever made; (created_at, partner_id, state) finds the day's and answers the
rest of the condition from the index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:40:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_orders_created_at', ['created_at', 'partner_id', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_orders_created_at')
