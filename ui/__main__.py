"""`python -m ui`: the same as `backprop-sim` (the desktop app, or a command such as `train`)."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
