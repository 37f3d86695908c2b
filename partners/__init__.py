"""Partner files shipped with edihub: the demo suppliers, their catalog, and examples (data, not code)."""
