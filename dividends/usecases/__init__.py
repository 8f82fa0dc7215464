"""The use-cases: every change of money, each taking the authenticated :class:`~dividends.actors.Actor`
first and checking :mod:`dividends.policy` itself, so the web pages, the JSON API and the CLI
are thin callers of the same functions (one module per area)."""
