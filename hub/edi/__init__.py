"""Bytes to documents and back: X12 and XML, no I/O."""
