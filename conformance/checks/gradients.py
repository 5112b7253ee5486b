"""C6, C12: gradients reach both directions, and are correct."""
