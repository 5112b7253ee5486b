"""C14: the same results on every device."""
