"""The one family every refusal a person sees belongs to: a stable code and a sentence.

`Refused(code, message)`; a subclass that always means one thing names its code once
(`code = "wrong_passphrase"`) and is raised with the sentence alone. The command line
turns any Refused into its sentence and exit status 1; the screens show the sentence.
docs/refusals.md lists the codes.
"""

from __future__ import annotations


class Refused(Exception):
    """Nothing was done; `code` is stable (tests and screens match on it), `message` is
    the sentence to show, saying what to do next."""

    code = "refused"

    def __init__(self, code_or_message: str, message: str | None = None):
        if message is None:  # a subclass with its own code: Refused(message)
            code_or_message, message = type(self).code, code_or_message
        super().__init__(message)
        self.code = code_or_message
        self.message = message
