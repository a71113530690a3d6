"""The one exception type for mistakes a user can make.

Anything the user can get wrong (a model name, a size, a file) raises `FpgagenError` with a
one-line message; the CLI prints it as ``fpgagen: error: ...`` and exits 2. Internal bugs raise
ordinary exceptions so that they keep their tracebacks.
"""


class FpgagenError(Exception):
    """A user error: bad input, unknown name, unreadable file. The message is one line."""
