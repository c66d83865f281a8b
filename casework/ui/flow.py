"""The one way a form is handled, written once for every form view.

A view says what is particular to it (its form, the one service call, where to go once
saved, how to draw its page) and ``submit`` does the rest: validate, run the command,
show a refusal on its field or in the summary, answer a conflict with the saved state
beside what the user typed, commit once, flash and redirect.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import flash, redirect, session
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from casework import db
from casework.db import Versioned
from casework.exceptions import EditConflict, InvalidInput, InvalidTransition
from casework.ui.forms import keep_version, show_error

# A form shown again with errors answers 400, on every page: see "Forms" in
# docs/architecture.md for why.
INVALID = 400
# Someone else saved first, or the record is no longer in a state that allows this.
CONFLICT = 409

EDIT_CONFLICT = (
    "Someone else changed this record after you opened this page. Nothing has been saved: "
    "check what is saved now, then send your change again if it is still right."
)

T = TypeVar("T")
Page = Response | str | tuple[str, int]


@dataclass(frozen=True)
class Saved:
    """What to tell the user once the change is committed, and where to send them."""

    message: str | None
    to: str
    notice: str | None = None  # something to act on, shown under the confirmation


@dataclass(frozen=True)
class ShownOnce:
    """A page drawn in the answer to the form itself, instead of a redirect: for what
    must be shown once and wait nowhere (a temporary password, recovery codes). Nothing
    keeps it for a later page, and no page is cached (`Cache-Control: no-store`)."""

    page: Callable[[], str]


class AskFirst(Exception):
    """Raised by a view's command to show the page again with a question (a possible
    duplicate, a date already past) instead of saving: nothing is written."""


# Long: the one form flow; each outcome in turn, in one place, is easier to check than split.
def submit(
    form: FlaskForm,
    command: Callable[[], T],
    *,
    saved: Callable[[T], Saved | ShownOnce],
    page: Callable[[], str],
    check: Callable[[], object] | None = None,
    current: Callable[[], Versioned] | None = None,
    conflict_page: Callable[[], str] | None = None,
    conflict_message: str = EDIT_CONFLICT,
    keep_refused: bool = False,
) -> Page:
    """Handle one form: show it, or take what was sent and save it or say why not.

    ``check`` runs the service's own checks on what did parse when the form's fields
    have errors, so every problem comes back at once. ``current`` loads the record as it
    is saved now, for the conflict page; ``conflict_page`` draws that page (``page``
    unless the page shows a conflict differently). An ``InvalidTransition`` (the record
    is no longer in a state that allows this: a referral already decided, a meeting
    finished) is shown on the form, with what was typed, as a 409.

    ``keep_refused`` is for a refusal that is itself a record: a wrong password or a
    wrong code is audited and counted towards throttling, so what the command wrote
    before it refused is kept.
    """
    if not form.is_submitted():
        return _shown(page, 200)
    if not form.validate():
        if check is not None:
            _run_checks(form, check)
        return _shown(page, INVALID)
    # A savepoint, so that a refused command leaves nothing behind while what the page
    # has already written (an audit row, the risk matrix on first use) stays.
    savepoint = db.session.begin_nested()
    try:
        result = command()
        savepoint.commit()
    except AskFirst:
        savepoint.rollback()
        return _shown(page, 200)
    except InvalidInput as error:
        if keep_refused:
            savepoint.commit()
        else:
            savepoint.rollback()
        show_error(form, error)
        return _shown(page, INVALID)
    except InvalidTransition as error:
        savepoint.rollback()
        show_error(form, InvalidInput(error.message))
        body = page()
        # Refused for the record's state (decided, finished) by someone else's change
        # a moment ago: nothing of this request is kept, not even the page's audit.
        db.session.rollback()
        return body, CONFLICT
    except EditConflict:
        savepoint.rollback()
        show_error(form, InvalidInput(conflict_message))
        if current is not None:  # saving again is checked against what is saved now
            keep_version(form, current().version)
        return _shown(conflict_page or page, CONFLICT)
    outcome = saved(result)
    if isinstance(outcome, ShownOnce):
        body = outcome.page()
        db.session.commit()
        return body
    _commit_saying((outcome.message, "success"), (outcome.notice, "message"))
    return redirect(outcome.to)


def press(
    form: FlaskForm,
    command: Callable[[], str | None],
    *,
    back: str,
    conflict_message: str = EDIT_CONFLICT,
    refusal_category: str = "message",
) -> Response:
    """A button on a page (no page of its own): make the change or say why not, and go
    back to the page either way. ``command`` returns the confirmation to show, if any.

    A refusal is flashed in ``refusal_category``: "error" shows it as an error summary
    at the top of the page, the default as a plain notice."""
    if not form.validate_on_submit():
        flash("The form was changed before it was sent. Reload the page and try again.", refusal_category)
        return redirect(back)
    savepoint = db.session.begin_nested()
    try:
        message = command()
        savepoint.commit()
    except EditConflict:
        savepoint.rollback()
        flash(conflict_message, refusal_category)
    except (InvalidInput, InvalidTransition) as error:
        savepoint.rollback()
        flash(error.message, refusal_category)
    else:
        _commit_saying((message, "success"))
    return redirect(back)


def _commit_saying(*messages: tuple[str | None, str]) -> None:
    """Commit, with the confirmation already in the session, so that the session (kept in
    the database) is written in the same transaction; a commit that fails takes the
    confirmation back."""
    said = [(message, category) for message, category in messages if message]
    for message, category in said:
        flash(message, category)
    try:
        db.session.commit()
    except Exception:
        if said:
            session["_flashes"] = session.get("_flashes", [])[: -len(said)]
        raise


def _run_checks(form: FlaskForm, check: Callable[[], object]) -> None:
    """The service's checks on a form whose fields have errors; a problem on a field
    that already has one is left out, as the field's own message comes first."""
    try:
        check()
    except InvalidInput as error:
        for problem in error.problems:
            field = getattr(form, problem.field, None) if problem.field else None
            if field is None or not field.errors:
                show_error(form, InvalidInput(problem.message, field=problem.field))


def _shown(page: Callable[[], str], status: int) -> tuple[str, int]:
    body = page()
    db.session.commit()  # what showing the page recorded (the audit of a view), if anything
    return body, status
