"""Backprop Simulator from a source checkout: `python main.py` opens the desktop app, and
`python main.py --help` shows the command line (train, trace, examples). An installed copy offers the
same as `backprop-sim`."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
