"""C17-C18: state round trips and memory layout."""
