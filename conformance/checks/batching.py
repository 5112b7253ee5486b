"""C7-C8: batch independence and batch_first."""
