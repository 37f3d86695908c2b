"""Demo instance data: edihub.toml and sample orders (data, not code)."""
