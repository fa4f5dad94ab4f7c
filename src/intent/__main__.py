"""`python -m intent`: the same command as `intent`."""

from __future__ import annotations

import sys

from intent.cli import main

if __name__ == "__main__":
    sys.exit(main())
