"""``python -m lint_rules``: the same as the ``birnn-lint`` command."""

import sys

from lint_rules.cli import main

if __name__ == "__main__":
    sys.exit(main())
