"""Error types raised by the engine; every message is meant to be shown to a user as it is."""


class SimulatorError(ValueError):
    """Base class: a user-facing problem with a value, file or setting."""


class ConfigError(SimulatorError):
    """A network, loss or training setting that is invalid or makes no sense."""


class DatasetError(SimulatorError):
    """A dataset (CSV or rows) that cannot be loaded; the message names the row and column."""


class SessionError(SimulatorError):
    """A session file that cannot be read or written; the message names what is wrong."""
