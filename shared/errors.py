"""Errors a user can act on. Entrypoints print their message on one line and exit non-zero."""


class RecsysError(Exception):
    """A problem with the user's input or environment, with a message that says what to do."""


class DatasetError(RecsysError):
    """A dataset is unknown, missing, unreadable or malformed."""


class ConfigError(RecsysError):
    """An option or setting has a value that cannot work."""
