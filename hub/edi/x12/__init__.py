"""X12: syntax (read, check, write, the element dictionary and glossary) and one module per
transaction set in and out (po850, pochange860, poack855, asn856, fa997)."""
