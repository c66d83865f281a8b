"""Recording the demo's past through the services, each event at its own moment."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from casework import db
from casework.clock import as_of


@contextmanager
def recorded_at(moment: datetime) -> Iterator[None]:
    """Within the block, now is ``moment``; what the block wrote is flushed before it
    ends, because timestamps such as an audit event's are filled in at the flush."""
    with as_of(moment):
        yield
        db.session.flush()
