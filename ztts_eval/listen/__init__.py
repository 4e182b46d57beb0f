"""Blind A/B listening tests from finished runs: build the page, serve it, tally the votes."""


class ListenError(ValueError):
    """A user mistake (too few systems, no prompts, a vote from another test): one line, no traceback."""
