"""`python -m simulator`: the command line (train, trace, examples) without the desktop app."""

import sys

from simulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
