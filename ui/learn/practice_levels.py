"""Practice's record and its levels, without widgets: the score per kind of quantity, and which values
of a sample are left blank at each level (faded worked examples: the last steps are faded first).

Levels: a worked example shows every value; partly worked leaves the later half of each sample's
practised values blank; bare leaves every one blank; adaptive moves between five rungs (none, the last
quarter, half, three quarters, all) from the learner's answers — `Fading.record` states the rule.
"""

from __future__ import annotations

import math

KINDS = (("forward", "Outputs"), ("loss", "Loss"), ("factor", "Factors"), ("gradient", "Gradients"),
         ("update", "Updates"))
#: How a question ended: right at the first try without a hint, right after a hint or a wrong try,
#: or the solution shown (three wrong tries, or Reveal).
FIRST, HELPED, SHOWN = "first", "helped", "shown"

LEVELS = (("worked", "Worked example (watch)"), ("partly", "Partly worked"), ("bare", "Bare (every value)"),
          ("adaptive", "Adaptive"))
DEFAULT_LEVEL = "bare"
#: The share of each sample's practised values left blank at the fixed levels.
FIXED_SHARES = {"worked": 0.0, "partly": 0.5, "bare": 1.0}
#: The adaptive level's rungs, from a fully worked example to every value blank, and where it starts.
RUNGS = (0.0, 0.25, 0.5, 0.75, 1.0)
START_RUNG = 2
#: Right answers at the first try in a row that move the adaptive level one rung up (more blanks) …
UP_AFTER = 3
#: … and solutions shown in a row that move it one rung down (more worked values).
DOWN_AFTER = 2


def blank_count(practised: int, share: float) -> int:
    """How many of a sample's `practised` values, counted from its last, are blank at `share`."""
    return min(practised, math.ceil(practised * share - 1e-9))


def share_text(share: float) -> str:
    """`half of each sample's values blank` and the like, for the level's line in the panel."""
    if share <= 0:
        return "every value worked, none asked"
    if share >= 1:
        return "every value asked"
    part = {0.25: "the last quarter", 0.5: "the last half", 0.75: "the last three quarters"}.get(share, f"{share:.0%}")
    return f"{part} of each sample's values asked, the rest worked"


class Scoreboard:
    """How each question of each kind ended: `counts[kind][outcome]`, from the start or the last reset.
    A question counts as asked from its first answer (`start`), so a wrong first try shows at once."""

    def __init__(self):
        self.counts: dict[str, dict[str, int]] = {}
        #: The kind of the question answered at least once and not ended yet (None: there is none).
        self.open: str | None = None
        self.reset()

    def __repr__(self) -> str:
        return f"Scoreboard({self.counts}, open={self.open})"

    def reset(self) -> None:
        self.counts = {kind: {FIRST: 0, HELPED: 0, SHOWN: 0} for kind, _ in KINDS}
        self.open = None

    def start(self, kind: str) -> None:
        """A question of `kind` was answered for the first time: it counts as asked from now."""
        self.open = kind

    def withdraw(self) -> None:
        """The open question was withdrawn before it ended (an edit or a step back): not counted."""
        self.open = None

    def add(self, kind: str, outcome: str) -> None:
        self.counts[kind][outcome] += 1
        self.open = None

    def asked(self, kind: str) -> int:
        return sum(self.counts[kind].values()) + int(self.open == kind)

    def ended(self, kind: str) -> int:
        return sum(self.counts[kind].values())

    def points(self, kind: str) -> float:
        """A kind's mean points: 1 for a right answer at the first try, ½ after help, 0 when shown."""
        counts = self.counts[kind]
        return (counts[FIRST] + 0.5 * counts[HELPED]) / self.ended(kind)

    def weakest(self) -> str | None:
        """The kind with the fewest mean `points`, of those asked and not all right at the first try (the
        first in `KINDS` on a tie); None when fewer than two kinds were asked."""
        asked = [kind for kind, _ in KINDS if self.ended(kind)]
        if len(asked) < 2:
            return None
        shares = [(self.points(kind), place, kind) for place, kind in enumerate(asked)
                  if self.counts[kind][FIRST] < self.ended(kind)]
        return min(shares)[2] if shares else None


class Fading:
    """The practice level and, when adaptive, its rung and the learner's current run of answers."""

    def __init__(self, level: str = DEFAULT_LEVEL):
        self.level = level if level in dict(LEVELS) else DEFAULT_LEVEL
        self.rung = START_RUNG
        self.firsts = self.shown = 0

    def __repr__(self) -> str:
        return f"Fading({self.level!r}, rung={self.rung})"

    @property
    def share(self) -> float:
        """The share of each sample's practised values left blank now."""
        return RUNGS[self.rung] if self.level == "adaptive" else FIXED_SHARES[self.level]

    def set_level(self, level: str) -> None:
        self.level = level
        self.firsts = self.shown = 0

    def record(self, outcome: str) -> int:
        """Adaptive: UP_AFTER answers right at the first try in a row move one rung up, DOWN_AFTER
        solutions shown in a row one rung down; a right answer after help starts both runs again.
        Returns the move (−1, 0 or +1)."""
        if self.level != "adaptive":
            return 0
        self.firsts = self.firsts + 1 if outcome == FIRST else 0
        self.shown = self.shown + 1 if outcome == SHOWN else 0
        if self.firsts >= UP_AFTER and self.rung < len(RUNGS) - 1:
            return self._move(+1)
        if self.shown >= DOWN_AFTER and self.rung > 0:
            return self._move(-1)
        return 0

    def watched(self) -> int:
        """Adaptive, on the fully worked rung: a sample watched to its last practised value moves one
        rung up, so the learner is asked again. Returns the move."""
        return self._move(+1) if self.level == "adaptive" and self.rung == 0 else 0

    def _move(self, step: int) -> int:
        self.rung += step
        self.firsts = self.shown = 0
        return step
