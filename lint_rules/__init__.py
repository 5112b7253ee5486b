"""birnn-lint: find the well-known bidirectional-RNN mistakes in PyTorch model code.

Importing this package is cheap: libcst is imported only when a file needs parsing.
"""

__version__ = "0.1.0"
