"""gunicorn's settings for production: `gunicorn wsgi:app` reads this file from the
working directory. Options given on the command line override it.

Each worker freezes what start-up made (wsgi.py), which keeps full garbage collections
from pausing requests; the collector's thresholds are left at their defaults, as a
higher one for young collections made the case list no cheaper (docs/performance.md,
"Throughput", "Pauses for garbage collection")."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
