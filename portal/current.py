"""What the running app was set up with, for the code that serves it (views and commands): where
its files live and the kept terms read with the content. Neither the web wiring nor the CLI owns
these, so both import them from here."""
from __future__ import annotations

from flask import current_app

from portal.paths import Paths
from portal.translation.checks import Terms


def current_paths() -> Paths:
    """Where this app's files live (the content, catalogs, served catalogs)."""
    return Paths.from_config(current_app.config)


def current_terms() -> Terms:
    """The do-not-translate terms, read once with the content when the app starts."""
    return current_app.extensions["terms"]
