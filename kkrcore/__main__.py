"""`python -m kkrcore`, the same as the `kkrcore` console script."""

import sys

from kkrcore.cli import main

sys.exit(main())
