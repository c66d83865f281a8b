"""Map errors to pages. Nothing reaches the user as a stack trace."""

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from casework import db
from casework.exceptions import EditConflict, InvalidTransition, NotFound, PermissionDenied

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", title=title, message=message, status=status), status


def register(app: Flask) -> None:
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(PermissionDenied, _forbidden)
    app.register_error_handler(EditConflict, _conflict)
    app.register_error_handler(StaleDataError, _conflict)
    app.register_error_handler(InvalidTransition, _invalid_transition)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _not_found(_error: NotFound) -> tuple[str, int]:
    db.session.rollback()
    return _page(
        404,
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you followed a link, the record may not exist or may not be shared with your agency.",
    )


def _forbidden(error: PermissionDenied) -> tuple[str, int]:
    db.session.rollback()
    log.info("permission denied: %s on %s", error.permission, request.endpoint)
    return _page(
        403,
        "You do not have access to this page",
        "Your role does not allow this. Ask your manager or an administrator if you think it should.",
    )


def _conflict(_error: Exception) -> tuple[str, int]:
    db.session.rollback()
    return _page(
        409,
        "Someone else changed this record",
        "Your change was not saved because the record "
        "changed after you opened it. Go back, reload the page to see the latest version, "
        "and make your change again.",
    )


def _invalid_transition(error: InvalidTransition) -> tuple[str, int]:
    db.session.rollback()
    return _page(409, "This cannot be done now", error.message)


def _csrf_error(_error: CSRFError) -> tuple[str, int]:
    return _page(
        400,
        "Your form could not be sent",
        "The page was open too long or was sent from somewhere else. Go back, reload the page and try again.",
    )


def _http_error(error: HTTPException) -> tuple[str, int, list[tuple[str, str]]]:
    status = error.code or 500
    titles = {404: "Page not found", 405: "Page not found", 429: "Too many requests"}
    title = titles.get(status, "Sorry, there is a problem")
    message = {
        404: "If you typed the web address, check it is correct.",
        405: "If you typed the web address, check it is correct.",
        429: "You have made too many requests. Wait a few minutes and try again.",
    }.get(status, "The request could not be completed. Go back and try again.")
    # What the error says beyond its body, such as the methods a 405 allows.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return (*_page(status, title, message), headers)


def _unexpected(error: Exception) -> tuple[str, int]:
    db.session.rollback()
    log.exception("unhandled error on %s", request.endpoint)
    return _page(
        500,
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you entered on the last page was saved.",
    )
