"""The one shape of a refused request: a sentence to show and a stable code to test on."""

from __future__ import annotations


class Refused(ValueError):
    """A request that was refused and wrote nothing; str() is the sentence, `code` is stable."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code
