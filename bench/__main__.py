"""``python -m bench [--quick] [--backend postgresql|sqlite] [--report]``: see bench/cli.py."""

import sys

from bench.cli import main

sys.exit(main())
