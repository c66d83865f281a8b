"""The date bounds of this app's configuration, for views to pass to the services."""

from flask import current_app

from casework.dates import DateBounds


def date_bounds() -> DateBounds:
    return DateBounds.from_config(current_app.config)
