"""The shape every refusal a person sees shares: a stable code and a sentence."""


class Refused(Exception):
    """Nothing was done; `code` is stable (tests and screens match on it), `message` is
    the sentence to show, saying what to do next."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
