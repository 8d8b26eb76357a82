"""One exception family: every error dedup shows to a user is a ``DedupError``."""


class DedupError(Exception):
    """An error with a message meant for the user (the CLI prints it and exits with code 1)."""


class InputError(DedupError):
    """The folder or file given to dedup cannot be used."""


class ConfigError(DedupError):
    """A setting is out of its valid range."""


class StoreError(DedupError):
    """The database is missing, unreadable, or not a dedup database."""


class NotFoundError(DedupError):
    """A cluster or document id that is not in the database."""


class ReportError(DedupError):
    """The HTML report cannot be written where it was asked to go."""


class ServeError(DedupError):
    """Datasette cannot serve the database as asked (e.g. the port is taken)."""


class DatabaseBusyError(StoreError):
    """Another scan is writing to the database: one scan at a time writes to a database."""
