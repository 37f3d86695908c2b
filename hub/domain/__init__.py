"""Business objects and rules, free of I/O."""
