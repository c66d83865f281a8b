"""Entry point for `gunicorn wsgi:app` and `flask --app wsgi ...`."""

import gc

from casework import create_app

app = create_app()

# What start-up made (modules, the mappings, the template environment) lasts as long as
# the process. Frozen, it is out of the collector's sight, so a full collection walks
# only what requests made instead of pausing a request for 100 ms or more
# (docs/performance.md, "Pauses for garbage collection").
gc.collect()
gc.freeze()
