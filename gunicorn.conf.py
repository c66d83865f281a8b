"""gunicorn's settings for production: `gunicorn wsgi:app` reads this file from the
working directory. Options given on the command line override it.

The collector is left at its defaults: neither gc.freeze() after start-up nor a higher
threshold for young collections made the case list measurably cheaper
(docs/performance.md, "Throughput")."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
