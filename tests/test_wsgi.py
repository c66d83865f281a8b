"""The production entry point (`gunicorn wsgi:app`)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_each_worker_freezes_what_start_up_made():
    """So a full garbage collection during a request walks only what requests made
    (docs/performance.md, "Pauses for garbage collection")."""
    result = subprocess.run(
        [sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"],
        cwd=ROOT,
        env={**os.environ, "CASEWORK_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(result.stdout) > 10_000, result.stdout
