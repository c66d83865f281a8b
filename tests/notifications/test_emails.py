"""What an e-mail may carry: the kind of event, a reference, a due time and a link. Every
kind is rendered about a case with a named victim on it, and nothing of that person may
appear in the subject or the body, nor in what the console backend logs."""

import logging
import re
from datetime import UTC, datetime

import pytest

from casework import db
from casework.notifications import emails
from casework.notifications.backends import ConsoleBackend
from casework.notifications.models import NotificationKind
from casework.notifications.outbox import notify
from casework.notifications.wording import SUBJECTS
from tests.factories import add_party, make_case, make_person, make_user
from tests.support.mail import BASE_URL

# The only lines an e-mail may have, once its subject, reference, due time and links are known.
ALLOWED_LINES = [
    r"{subject}\.",
    r"You have notifications waiting in Casework\.",
    r"Reference: {reference}",
    r"Due: {due}",
    r"",
    r"Open it in Casework \(you will be asked to sign in\): {link}",
    r"---",
    r"Change what you are told about: " + re.escape(f"{BASE_URL}/account/notifications"),
]


@pytest.fixture
def case_about_a_person(session):
    user = make_user(name="Rowena Quartermaine")
    case = make_case(lead_agency=user.agency, opened_by=user, title="Threats from Zebedee Pangbourne")
    person = make_person(
        created_by=user,
        first_name="Ottoline",
        last_name="Fairweather",
        address="17 Hollyhock Lane, Wisbech",
        postcode="PE13 2XY",
        date_of_birth=datetime(1961, 8, 23).date(),
    )
    add_party(case=case, person=person)
    return user, case, person


def personal_data(user, case, person) -> list[str]:
    born = person.date_of_birth
    return [
        person.first_name,
        person.last_name,
        person.address,
        "Hollyhock",
        person.postcode,
        person.phone,
        person.email,
        born.isoformat(),
        f"{born:%d/%m/%Y}",
        f"{born.day} {born:%B %Y}",
        case.title,
        "Pangbourne",
        user.name,
        user.email,
    ]


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_carries_only_the_allowed_fields(case_about_a_person, kind, caplog):
    user, case, person = case_about_a_person
    due = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    (row,) = notify(
        [user], kind, link=f"/cases/{case.reference}", reference=case.reference, due_at=due, case_id=case.id
    )
    db.session.flush()
    email = emails.render(row, to=user.email, base_url=BASE_URL)
    assert email.subject == SUBJECTS[kind]
    with caplog.at_level(logging.INFO, logger="casework.notifications"):
        ConsoleBackend().deliver(email)
    assert email.body in caplog.text  # the console shows the whole e-mail, and nothing more
    for text in (email.subject, email.body, caplog.text):
        for value in personal_data(user, case, person):
            assert value not in text, f"{kind}: {value!r} in an e-mail"
    patterns = [
        re.compile(
            line.format(
                subject=re.escape(SUBJECTS[kind]),
                reference=re.escape(email.reference),
                due=re.escape(email.due),
                link=re.escape(email.link),
            )
        )
        for line in ALLOWED_LINES
    ]
    for line in email.body.splitlines():
        assert any(pattern.fullmatch(line) for pattern in patterns), f"{kind}: unexpected line {line!r}"


def test_a_reminder_names_its_reference_due_time_in_uk_time_and_absolute_link(case_about_a_person):
    user, case, _ = case_about_a_person
    summer = datetime(2027, 7, 1, 15, 0, tzinfo=UTC)  # 4pm British Summer Time
    (row,) = notify(
        [user],
        NotificationKind.CLOCK_DUE_SOON,
        link=f"/cases/{case.reference}",
        reference=case.reference,
        due_at=summer,
    )
    db.session.flush()
    email = emails.render(row, to=user.email, base_url=BASE_URL + "/")
    assert f"Reference: {case.reference}" in email.body
    assert "Due: Thursday 1 July 2027 at 4:00pm (UK time)" in email.body
    assert f"{BASE_URL}/cases/{case.reference}" in email.body
    assert f"Change what you are told about: {BASE_URL}/account/notifications" in email.body
    assert email.message_id(BASE_URL) == f"<casework-notification-{row.id}@casework.example.test>"


def test_an_action_is_due_on_a_day_not_at_midnight(case_about_a_person):
    user, case, _ = case_about_a_person
    start_of_the_day = datetime(2027, 1, 14, 0, 0, tzinfo=UTC)  # midnight in London in winter
    (row,) = notify(
        [user], NotificationKind.ACTION_DUE_SOON, link="/actions/7", reference="Action 7", due_at=start_of_the_day
    )
    db.session.flush()
    email = emails.render(row, to=user.email, base_url=BASE_URL)
    assert "Due: Thursday 14 January 2027\n" in email.body
    assert "12:00am" not in email.body


def test_a_digest_points_at_the_notifications_page(case_about_a_person):
    user, _, _ = case_about_a_person
    (row,) = notify([user], NotificationKind.DIGEST, link="/anything")
    db.session.flush()
    email = emails.render(row, to=user.email, base_url=BASE_URL)
    assert email.subject == "Your daily Casework summary"
    assert email.link == f"{BASE_URL}/notifications"
    assert "You have notifications waiting in Casework." in email.body


def test_account_events_have_no_link_to_change_what_you_are_told(case_about_a_person):
    user, _, _ = case_about_a_person
    (row,) = notify([user], NotificationKind.ACCOUNT_CHANGED, link="/account")
    db.session.flush()
    assert "Change what you are told about" not in emails.render(row, to=user.email, base_url=BASE_URL).body
