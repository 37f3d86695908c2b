"""Concrete I/O: the store, partner and mapping files, the archive."""
