"""``python -m geoloft``: the same command line as ``geoloft``."""

from __future__ import annotations

import sys

from geoloft.cli import main

if __name__ == "__main__":
    sys.exit(main())
