"""Operational logging: identifiers only, never case contents or personal data."""

import logging
from logging.config import dictConfig

from flask import Flask, g, has_request_context


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure(app: Flask) -> None:
    if app.testing:
        return  # leave pytest's capture alone
    dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {
                "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
            },
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "plain",
                    "filters": ["request_id"],
                }
            },
            "root": {"level": app.config["LOG_LEVEL"], "handlers": ["stderr"]},
        }
    )
