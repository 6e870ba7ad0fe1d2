"""The one error the test servers raise when a server cannot be had here."""


class ServerUnavailable(RuntimeError):
    """A test server is not installed or would not start; the message says what to do."""
