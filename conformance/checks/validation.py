"""C16: invalid inputs are rejected."""
