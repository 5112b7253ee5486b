"""C4-C5: reversal equivariance and causality."""
