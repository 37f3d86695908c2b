"""Suppliers' XML: safe parsing, purchase orders out through XSLT, answers in."""
