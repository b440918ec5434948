"""What other apps may react to, without orders importing them: sent inside the transaction
that made the change, so a receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# company, order
order_placed = Signal()
# company, order, previous (the status it had)
order_status_changed = Signal()
