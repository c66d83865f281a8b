"""Walking every route of the app: a small world of records to point the URLs at, and
helpers to build the URLs and to see what a request wrote.

``build_world`` gives one agency ("home") a user of every role and one of everything a
route can be about, so a route walked as one of those users is about that user's own
agency's records. ``World.args`` maps each URL argument name to the record it names.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session
from werkzeug.routing import Rule

from casework import db
from casework.accounts.models import User
from casework.accounts.services import password_reset
from casework.cases.services import commands
from casework.clock import utcnow
from casework.db import Base
from casework.notifications.models import Notification, NotificationKind, NotificationStatus
from casework.permissions import Role
from casework.victims.services import risk
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_agenda_item,
    make_case,
    make_person,
    make_plan_action,
    make_premises,
    make_priority,
    make_psg_meeting,
    make_referral,
    make_user,
)
from tests.support.victims import LOWEST

WALKED_METHODS = ("GET", "POST")

# Routes whose record is named in the query string rather than the path.
QUERY_ARGUMENTS = {"actions.new": {"case": "reference"}}


@dataclass
class World:
    args: dict[str, object]  # URL argument values by argument name
    users: dict[Role, int]  # a user of every role in the home agency, by id
    home_agency_id: int
    other_agency_id: int  # an agency with nothing of its own, for forms that name a second agency


def build_world(session: scoped_session[Session]) -> World:
    """Records of one agency, in the test's session (``db.session`` as the ``session``
    fixture binds it: the factories commit, which there only releases a SAVEPOINT)."""
    home = make_agency(name="Home Agency")
    other = make_agency(name="Other Agency")
    users = {role: make_user(role=role, agency=home, name=f"Home {role.label}") for role in Role}
    member, chair = users[Role.PSG_MEMBER], users[Role.PSG_CHAIR]
    # The user the admin pages are about: none of the walkers, so that deactivating it
    # does not sign a walker out.
    colleague = make_user(role=Role.PSG_MEMBER, agency=home, name="Home Colleague")

    premises = make_premises()
    case = make_case(lead_agency=home, opened_by=member, premises=premises)
    victim = make_person(created_by=member)
    party = add_party(case=case, person=victim)
    risk.record_assessment(
        member,
        case.reference,
        victim.id,
        matrix_id=risk.current_matrix().id,
        answers=LOWEST,
        assessed_at=utcnow() - timedelta(hours=2),
        override_level=None,
        override_reason="",
    )
    session.commit()
    action = make_action(agency=home, created_by=member, case=case)
    meeting = make_psg_meeting(chair=chair)
    item = make_agenda_item(meeting=meeting, position=1, case=case)
    referral = make_referral(referrer=member)
    # A link to reset the colleague's password, as if they had asked for one.
    reset_token = "walked-reset-token-" + "x" * 24
    password_reset.issue_link(colleague, reset_token)
    # Someone of the other agency asks for access to the home agency's case.
    asked = commands.request_access(make_user(agency=other, name="Other Asker"), case.reference, reason="Our tenant")
    priority = make_priority(number=7)
    plan_action = make_plan_action(priority=priority, ref="7.1.1", lead_agency=home)
    notification = Notification(
        user_id=colleague.id, kind=NotificationKind.ACTION_ASSIGNED, link="/actions", status=NotificationStatus.FAILED
    )
    session.add(notification)
    session.commit()
    return World(
        args={
            "reference": case.reference,
            "person_id": victim.id,
            "party_id": party.id,
            "user_id": colleague.id,
            "agency_id": home.id,
            "premises_id": premises.id,
            "action_id": action.id,
            "meeting_id": meeting.id,
            "item_id": item.id,
            "section": "high-risk",  # of the agenda (the cases that did not fit)
            "referral_id": referral.id,
            "request_id": asked.id,
            "token": reset_token,
            "priority_id": priority.id,
            "plan_action_id": plan_action.id,
            "notification_id": notification.id,
        },
        users={role: user.id for role, user in users.items()},
        home_agency_id=home.id,
        other_agency_id=other.id,
    )


def routes(app: Flask) -> list[Rule]:
    """Every route but static files, in a stable order."""
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"), key=lambda r: r.rule)


def methods(rule: Rule) -> list[str]:
    return [method for method in WALKED_METHODS if method in (rule.methods or ())]


def url(app: Flask, rule: Rule, args: dict[str, object]) -> str:
    """The rule's URL about the records in ``args``; a route taking an argument the
    world has no record for fails here, so a new kind of route cannot go unwalked."""
    missing = sorted(set(rule.arguments) - args.keys())
    assert not missing, f"{rule.endpoint} takes {missing}: add such a record to tests/support/routes.py"
    query = {name: args[argument] for name, argument in QUERY_ARGUMENTS.get(rule.endpoint, {}).items()}
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: args[name] for name in rule.arguments}, **query)


def user(world: World, role: Role) -> User:
    found = db.session.get(User, world.users[role])
    assert found is not None
    return found


def client_for(app: Flask, world: World, role: Role) -> FlaskClient:
    """A fresh client signed in as the home agency's user of this role (with the user's
    current session token: signing out, say, gives the user a new one)."""
    token = db.session.scalar(sa.select(User.session_token).where(User.id == world.users[role]))
    return app.test_client(user=_Token(world.users[role], token))


@dataclass
class _Token:
    id: int
    token: str

    def get_id(self) -> str:
        return self.token


def tables() -> list[sa.Table]:
    return list(Base.metadata.sorted_tables)


def row_counts() -> dict[str, int]:
    """How many rows every table holds."""
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0 for table in tables()}


def snapshot(*, leave_out: frozenset[str] = frozenset()) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (the world is small), in primary key order."""
    return {
        table.name: [tuple(row) for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))]
        for table in tables()
        if table.name not in leave_out
    }


# --- Forms on a page -------------------------------------------------------------------


@dataclass
class Form:
    action: str  # the path it posts to
    fields: dict[str, list[str]] = field(default_factory=dict)

    def filled(self) -> dict[str, list[str]]:
        """What a user would send: the values as served, blank text boxes typed in."""
        return {name: [value or "Checked with the family" for value in values] for name, values in self.fields.items()}


class _FormParser(HTMLParser):
    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "option" and self._form is not None and self._select:
            # the selected option, else the first with a value
            if "selected" in a or (not self._form.fields[self._select] and a.get("value")):
                self._form.fields[self._select] = [a.get("value", "")]
            return
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(action=urlsplit(a.get("action") or self.page_path).path)
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input" and a.get("type") in ("checkbox", "radio"):
            if "checked" in a or name not in self._form.fields:  # the checked one, else the first
                self._form.fields[name] = [a.get("value", "on")]
        elif tag == "input" and a.get("type") not in ("submit", "button"):
            self._form.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self._form.fields[name] = [""]
        elif tag == "select":
            self._select = name
            self._form.fields[name] = []
        elif tag == "button" and a.get("value"):
            self._form.fields.setdefault(name, [a["value"]])

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] = [self._form.fields[self._textarea][0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def forms_on(page: str, page_path: str) -> list[Form]:
    """The POST forms of an HTML page, as a browser would send them."""
    parser = _FormParser(page_path)
    parser.feed(page)
    return parser.forms
