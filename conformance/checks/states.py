"""C10, C13: initial states and determinism."""
