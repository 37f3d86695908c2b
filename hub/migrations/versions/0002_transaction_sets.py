"""transaction sets of received interchanges; refused envelopes outside the control-number index

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_OLD = "state != 'duplicate' AND control_number IS NOT NULL"
_NEW = "state NOT IN ('duplicate', 'rejected') AND control_number IS NOT NULL"
_COLUMNS = ['partner_id', 'direction', 'doc_type', 'control_number']


def upgrade() -> None:
    op.create_table('transaction_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interchange_id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.String(length=24), nullable=False),
    sa.Column('group_control', sa.String(length=9), nullable=True),
    sa.Column('set_control', sa.String(length=40), nullable=True),
    sa.Column('purchase_order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['interchange_id'], ['interchanges.id'], name=op.f('fk_transaction_sets_interchange_id_interchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], name=op.f('fk_transaction_sets_purchase_order_id_purchase_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_sets'))
    )
    with op.batch_alter_table('transaction_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_sets_interchange_id'), ['interchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transaction_sets_purchase_order_id'), ['purchase_order_id'], unique=False)
    with op.batch_alter_table('interchanges', schema=None) as batch_op:
        batch_op.drop_index('uq_interchanges_control', sqlite_where=sa.text(_OLD), postgresql_where=sa.text(_OLD))
        batch_op.create_index('uq_interchanges_control', _COLUMNS, unique=True,
                              sqlite_where=sa.text(_NEW), postgresql_where=sa.text(_NEW))


def downgrade() -> None:
    with op.batch_alter_table('interchanges', schema=None) as batch_op:
        batch_op.drop_index('uq_interchanges_control', sqlite_where=sa.text(_NEW), postgresql_where=sa.text(_NEW))
        batch_op.create_index('uq_interchanges_control', _COLUMNS, unique=True,
                              sqlite_where=sa.text(_OLD), postgresql_where=sa.text(_OLD))
    with op.batch_alter_table('transaction_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_sets_purchase_order_id'))
        batch_op.drop_index(batch_op.f('ix_transaction_sets_interchange_id'))
    op.drop_table('transaction_sets')
