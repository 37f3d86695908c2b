"""Transports move bytes to and from partners. They know nothing of orders or EDI."""
