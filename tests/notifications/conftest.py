"""The delivery tests' servers: a real SMTP server and a stand-in for GOV.UK Notify's API,
both on loopback and started per test."""

from collections.abc import Iterator

import pytest

from tests.support.mail import Mailbox, NotifyApi, notify_server, smtp_server


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture
def notify_api() -> Iterator[NotifyApi]:
    with notify_server() as api:
        yield api
