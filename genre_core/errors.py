"""The one exception type a user ever sees from the engine."""


class DataError(ValueError):
    """Bad input, described in one sentence a user can act on.

    The dashboard shows ``str(error)`` and the CLI prints ``error: <message>``; neither shows
    a traceback. Raise it with a message that names the column, row or file at fault.
    """
