"""C11, C15: agreement with the float64 reference, and precision per dtype."""
