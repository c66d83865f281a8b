"""Real servers on loopback for the delivery tests: an SMTP server (aiosmtpd) that keeps
what it receives, and a stand-in for GOV.UK Notify's API (http.server in a thread) that
keeps the requests the official client sends and answers as a test tells it to."""

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from casework.notifications.backends import SmtpSettings

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def text(self) -> str:
        payload = self.message.get_payload(decode=True)
        return payload.decode() if isinstance(payload, bytes) else str(payload)


@dataclass
class Mailbox:
    """What the SMTP server got; `refuse` maps an address to the reply its RCPT gets."""

    host: str = LOOPBACK
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds each message takes to accept, so a test can stop a sender mid-batch
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), message_from_bytes(content))
            )
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(item.message["Message-ID"]) for item in self.received]


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname=LOOPBACK, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class NotifyApi:
    """The requests received, and the status the next ones get (201 unless told)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # consumed in order; then 201


class _NotifyHandler(BaseHTTPRequestHandler):
    api: NotifyApi

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.api.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
        status = self.api.answers.pop(0) if self.api.answers else 201
        answer: dict[str, Any] = {"id": "9b8e7c5f-0000-4000-8000-000000000001", "reference": body.get("reference")}
        if status >= 400:
            answer = {"status_code": status, "errors": [{"error": "Error", "message": f"answered {status}"}]}
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def notify_server() -> Iterator[NotifyApi]:
    api = NotifyApi()
    handler = type("Handler", (_NotifyHandler,), {"api": api})
    server = ThreadingHTTPServer((LOOPBACK, 0), handler)
    api.url = f"http://{LOOPBACK}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# A key of GOV.UK Notify's shape: name, service id, secret (the client splits it so).
NOTIFY_API_KEY = "casework_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"


BASE_URL = "https://casework.example.test"


def smtp_settings(mailbox: Mailbox, **changes: Any) -> SmtpSettings:
    values: dict[str, Any] = {
        "host": mailbox.host,
        "port": mailbox.port,
        "security": "none",
        "username": "",
        "password": "",
        "sender": "casework@example.test",
        "base_url": BASE_URL,
        "timeout": 5.0,
    }
    return SmtpSettings(**{**values, **changes})


def smtp_environment(mailbox: Mailbox) -> dict[str, str]:
    """The settings a `flask casework notifications` process reads to use this server."""
    return {
        "NOTIFY_BACKEND": "smtp",
        "SMTP_HOST": mailbox.host,
        "SMTP_PORT": str(mailbox.port),
        "SMTP_SECURITY": "none",
        "NOTIFY_FROM": "casework@example.test",
        "BASE_URL": BASE_URL,
    }
