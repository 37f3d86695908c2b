"""Mapping files shipped with edihub: X12 and XML purchase-order mappings (data, not code)."""
