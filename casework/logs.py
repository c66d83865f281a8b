"""Operational logging: identifiers only, never case contents or personal data."""

import logging
import traceback
from logging.config import dictConfig
from types import TracebackType

from flask import Flask, g, has_request_context

# Loggers that would write personal data at their lower levels, held at WARNING whatever
# LOG_LEVEL says: SQLAlchemy logs every statement with its parameters (names, addresses)
# at INFO.
QUIET_LOGGERS = ("sqlalchemy",)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or while handling, oldest first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain[::-1]


class PrivateFormatter(logging.Formatter):
    """Tracebacks with where the error happened but not its message: messages quote the
    values involved (a database error quotes its statement's parameters, a ValueError
    the text it could not parse), and those are names, addresses and notes."""

    def formatException(
        self, ei: tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
    ) -> str:
        error = ei[1]
        if error is None:
            return ""
        lines: list[str] = []
        for index, link in enumerate(_chain(error)):
            if index:
                lines.append("\nThe above exception led to another:\n\n")
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(link.__traceback__))
            kind = type(link)
            lines.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)\n")
        return "".join(lines).rstrip("\n")


def configure(app: Flask) -> None:
    if app.testing:
        return  # leave pytest's capture alone
    dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {
                "plain": {
                    "()": PrivateFormatter,
                    "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
                }
            },
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "plain",
                    "filters": ["request_id"],
                }
            },
            "loggers": {name: {"level": "WARNING"} for name in QUIET_LOGGERS},
            "root": {"level": app.config["LOG_LEVEL"], "handlers": ["stderr"]},
        }
    )
