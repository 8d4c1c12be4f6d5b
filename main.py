"""Backprop Simulator: run `python main.py` for the desktop app, or `python main.py --help` for the
command line (train, trace, examples)."""

import sys

from simulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
