"""C9: variable-length (packed) input."""
