"""Subject access (UK GDPR Art. 15): the printable page and the JSON download of
everything held about a person, for managers and administrators only, audited."""

import difflib
import gc
import json
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.actions.models import ActionUpdate
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.audit.models import AuditEvent
from casework.cases.models import PartyRole
from casework.clock import utcnow
from casework.data_protection import views as subject_access_views
from casework.data_protection.services import subject_access
from casework.meetings.models import MeetingDecision
from casework.permissions import Role
from casework.referrals.models import Referral
from casework.victims.models import ClockOutcome
from casework.victims.services import risk, riskmatrix
from tests.conftest import ROOT
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_agenda_item,
    make_case,
    make_note,
    make_person,
    make_psg_meeting,
    make_referral,
    make_user,
)
from tests.support.queries import recorded_statements
from tests.support.sla_clocks import make_clock

pytestmark = pytest.mark.both_databases

ClientAs = Callable[[User], FlaskClient]
OVERDUE_AT_CLOSING = ClockOutcome.OVERDUE_AT_CLOSING


def person_with_records(*, cases: int = 1):
    """A victim on ``cases`` cases, with a perpetrator, a note, an action with a progress
    note, a PSG item with minutes and a decision, a risk assessment and clock on each,
    and a referral naming her."""
    lead = make_agency(name=f"Fenland Council {time.monotonic_ns()}")
    officer = make_user(agency=lead, name="Olive Officer")
    chair = make_user(role=Role.PSG_CHAIR, agency=lead, name="Chris Chair")
    victim = make_person(created_by=officer, first_name="Vera", last_name="Victim")
    meeting = make_psg_meeting(chair=chair)
    made = []
    for number in range(cases):
        case = make_case(lead_agency=lead, opened_by=officer, title=f"Stones at windows {number}")
        add_party(case=case, person=victim, role=PartyRole.VICTIM)
        add_party(
            case=case,
            person=make_person(created_by=officer, first_name="Percy", last_name=f"Perp{number}"),
            role=PartyRole.PERPETRATOR,
        )
        make_note(case=case, author=officer, body=f"Visited Vera at home {number}")
        action = make_action(agency=lead, created_by=officer, case=case, title=f"Fit window locks {number}")
        db.session.add(ActionUpdate(action_id=action.id, note=f"Locksmith booked {number}", author_id=officer.id))
        item = make_agenda_item(meeting=meeting, position=number + 1, case=case, minutes=f"Discussed Vera {number}")
        db.session.add(MeetingDecision(item_id=item.id, text=f"Refer to housing {number}", recorded_by_id=chair.id))
        make_clock(case=case, person=victim, started_at=utcnow() - timedelta(days=1))
        audit.record(officer, "case.viewed", "case", case.id, case_id=case.id)
        audit.record(chair, "case.access_requested", "case", case.id, case_id=case.id, detail={"reason": "Same family"})
        made.append(case)
    referral = make_referral(
        referrer=officer, first_name="Vera", last_name="Victim", what_is_happening="Vera says stones hit her windows"
    )
    referral.person_id = victim.id
    audit.record(officer, "person.viewed", "person", victim.id, person_id=victim.id)
    db.session.commit()
    return victim, made, officer


def test_manager_sees_everything_held_about_the_person(client_as: ClientAs) -> None:
    victim, (case,), officer = person_with_records()
    manager = make_user(role=Role.MANAGER, name="Mina Manager")

    page = client_as(manager).get(f"/people/{victim.id}/subject-access")

    assert page.status_code == 200
    text = page.text
    for expected in (
        "Vera Victim",
        "07700 900123",
        case.reference,
        "Stones at windows 0",
        "Victim",
        "Visited Vera at home 0",
        "Fit window locks 0",
        "Locksmith booked 0",
        "Discussed Vera 0",
        "Refer to housing 0",
        "Vera says stones hit her windows",
        "Case conference within 72 hours",
        "Viewed case",
        "Viewed person",
        "Olive Officer",
        "Asked for access to case",
        "Same family",
    ):
        assert expected in text, expected
    # Other people on her cases are flagged for review, not silently included.
    assert "Third parties on this case (review before disclosure)" in text
    assert "Percy Perp0 (perpetrator)" in text
    assert "Review before disclosure" in text


def test_download_is_the_same_data_as_json(client_as: ClientAs) -> None:
    victim, (case,), _officer = person_with_records()
    manager = make_user(role=Role.MANAGER)

    response = client_as(manager).get(f"/people/{victim.id}/subject-access/download")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="subject-access-person-{victim.id}.json"'
    data = json.loads(response.data)
    assert (data["format"], data["version"]) == ("casework-subject-access", 2)
    assert data["person"]["first_name"] == "Vera" and data["person"]["last_name"] == "Victim"
    [exported] = data["cases"]
    assert exported["reference"] == case.reference
    assert [role["role"] for role in exported["roles"]] == ["Victim"]
    assert [other["name"] for other in exported["third_parties"]] == ["Percy Perp0"]
    assert [note["text"] for note in exported["notes"]] == ["Visited Vera at home 0"]
    assert exported["actions"][0]["updates"][0]["note"] == "Locksmith booked 0"
    assert exported["psg_meetings"][0]["decisions"][0]["text"] == "Refer to housing 0"
    assert len(data["risk_assessments"]) == len(data["sla_clocks"]) == 1
    assert data["referrals"][0]["what_is_happening"] == "Vera says stones hit her windows"
    assert {"Viewed case", "Viewed person"} <= {event["action"] for event in data["audit"]}


@pytest.mark.parametrize("path", ["", "/download"])
def test_each_export_is_audited_with_its_format(client_as: ClientAs, path: str) -> None:
    victim, _cases, _officer = person_with_records()
    admin = make_user(role=Role.ADMIN)

    assert client_as(admin).get(f"/people/{victim.id}/subject-access{path}").status_code == 200

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "person.subject_access_exported")).one()
    assert (event.actor_id, event.person_id, event.detail) == (
        admin.id,
        victim.id,
        {"format": "json" if path else "html"},
    )
    assert audit.verb_label(event.verb) == "Exported subject access data"


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PSG_CHAIR, Role.PARTNER, Role.LICENSING_OFFICER, Role.ANALYST])
def test_other_roles_are_refused_and_nothing_is_recorded(client_as: ClientAs, role: Role) -> None:
    victim, (case,), officer = person_with_records()
    # In the lead agency: 403 to those who may see the person; 404 to those who may not.
    colleague = make_user(role=role, agency=db.session.get(Agency, officer.agency_id))
    outsider = make_user(role=role, agency=make_agency())

    for path in ("", "/download"):
        response = client_as(colleague).get(f"/people/{victim.id}/subject-access{path}")
        assert response.status_code == (404 if role is Role.ANALYST else 403)
        assert "Vera" not in response.text
        assert client_as(outsider).get(f"/people/{victim.id}/subject-access{path}").status_code == 404
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.verb == "person.subject_access_exported")) is None


def test_unknown_person_is_not_found(client_as: ClientAs) -> None:
    manager = make_user(role=Role.MANAGER)
    assert client_as(manager).get("/people/999999/subject-access").status_code == 404
    assert client_as(manager).get("/people/999999/subject-access/download").status_code == 404


def test_query_count_does_not_grow_with_the_records(app: Flask, client_as: ClientAs) -> None:
    manager = make_user(role=Role.MANAGER)
    client = client_as(manager)

    def queries(cases: int) -> list[str]:
        victim, _made, _officer = person_with_records(cases=cases)
        db.session.remove()
        with recorded_statements(app.extensions["casework.engine"]) as statements:
            response = client.get(f"/people/{victim.id}/subject-access")
        assert response.status_code == 200
        assert response.text.count("Third parties on this case") == cases
        return statements

    few, many = queries(2), queries(25)
    assert len(many) == len(few), "\n".join(many)


def test_query_count_is_the_same_with_nothing_but_a_case_recorded(app: Flask, client_as: ClientAs) -> None:
    """Updates of actions and decisions on agenda items come with their actions and
    items, so the count does not depend on whether the person has any."""
    manager = make_user(role=Role.MANAGER)
    client = client_as(manager)

    def queries(person_id: int) -> list[str]:
        db.session.remove()
        with recorded_statements(app.extensions["casework.engine"]) as statements:
            response = client.get(f"/people/{person_id}/subject-access")
        assert response.status_code == 200
        return statements

    officer = make_user()
    bare = make_person(created_by=officer)
    add_party(case=make_case(lead_agency=officer.agency, opened_by=officer), person=bare, role=PartyRole.VICTIM)
    db.session.commit()
    victim, _made, officer = person_with_records(cases=3)
    referral = db.session.scalars(select(Referral).where(Referral.person_id == victim.id)).one()
    on_referral = make_action(
        agency=officer.agency, created_by=officer, meeting_id=make_psg_meeting(chair=officer).id, title="Call back"
    )
    on_referral.referral_id = referral.id
    db.session.add(ActionUpdate(action_id=on_referral.id, note="Left a message", author_id=officer.id))
    db.session.commit()

    few, many = queries(bare.id), queries(victim.id)
    exported = client.get(f"/people/{victim.id}/subject-access/download").json
    assert exported["referrals"][0]["actions"][0]["updates"][0]["note"] == "Left a message"
    assert len(many) == len(few), "\n".join(difflib.unified_diff(few, many, lineterm=""))


def test_the_person_page_links_to_the_export_for_those_who_may_use_it(client_as: ClientAs) -> None:
    victim, (case,), officer = person_with_records()
    link = f'href="/people/{victim.id}/subject-access"'
    assert link in client_as(make_user(role=Role.MANAGER)).get(f"/people/{victim.id}").text
    assert link not in client_as(officer).get(f"/people/{victim.id}").text


# --- In words, and printable ---------------------------------------------------------------


def test_answers_agenda_reasons_and_clock_outcomes_are_in_words(client_as: ClientAs) -> None:
    victim, (case,), officer = person_with_records()
    member = make_user(agency=db.session.get(Agency, officer.agency_id))
    questions = riskmatrix.parse(riskmatrix.packaged_default()).questions
    answers = {question.id: question.options[0].id for question in questions} | {"frequency": "four_or_more"}
    risk.record_assessment(
        member, case.reference, victim.id, matrix_id=risk.current_matrix().id, answers=answers,
        assessed_at=utcnow() - timedelta(hours=1), override_level=None, override_reason="",
    )  # fmt: skip
    meeting = make_psg_meeting(chair=make_user(role=Role.PSG_CHAIR, agency=db.session.get(Agency, officer.agency_id)))
    make_agenda_item(
        meeting=meeting, position=1, case=case,
        reasons=("High-risk victim", "Overdue SLA clock: case conference within 72 hours"),
    )  # fmt: skip
    make_clock(case=case, person=victim, started_at=utcnow() - timedelta(days=9), outcome=OVERDUE_AT_CLOSING)
    client = client_as(make_user(role=Role.MANAGER))

    page = client.get(f"/people/{victim.id}/subject-access").text
    assert "How often has the victim experienced anti-social behaviour in the last 3 months? 4 times or more" in page
    assert "frequency" not in page and "four_or_more" not in page
    assert "on the agenda for High-risk victim; Overdue SLA clock: case conference within 72 hours." in page
    assert "overdue at closing" in page and "overdue_at_closing" not in page

    data = json.loads(client.get(f"/people/{victim.id}/subject-access/download").data)
    assert data["version"] == 2
    [assessed] = [a for a in data["risk_assessments"] if a["answers"]]
    assert assessed["answers"][0] == {
        "question_id": "frequency",
        "question": "How often has the victim experienced anti-social behaviour in the last 3 months?",
        "answer_id": "four_or_more",
        "answer": "4 times or more",
        "points": 4,
    }
    assert [a["question_id"] for a in assessed["answers"]] == [question.id for question in questions]
    # High a day ago (person_with_records), standard an hour ago: the 7-day clock met, the
    # conference still owed; and an episode that closed overdue.
    assert sorted(clock["outcome"] for clock in data["sla_clocks"]) == ["Met", "Overdue at closing", "Pending"]


def test_an_answer_the_matrix_does_not_know_is_kept_as_stored() -> None:
    matrix = riskmatrix.parse(riskmatrix.packaged_default())
    entries = subject_access._answers(matrix, {"frequency": "daily", "retired": "yes"})
    assert [(e["question"], e["answer"], e["points"]) for e in entries] == [
        (
            "How often has the victim experienced anti-social behaviour in the last 3 months?",
            "Daily or almost daily",
            6,
        ),
        ("retired", "yes", None),
    ]


def test_printing_the_document_leaves_out_the_navigation_links_and_buttons(client_as: ClientAs) -> None:
    """The print rules are in the stylesheet every page loads; the page's own download
    link is marked to be left out. The browser test prints it (tests/browser/test_print.py)."""
    css = (ROOT / "casework" / "static" / "casework" / "casework.css").read_text()
    rules = css.split("@media print {", 1)[1].split("\n}", 1)[0]
    hidden = {selector.strip() for selector in rules.split("{", 1)[0].split(",")}
    assert hidden == {
        ".govuk-skip-link", ".govuk-service-navigation", ".govuk-back-link", ".govuk-footer", ".govuk-button",
        ".casework-no-print",
    }  # fmt: skip
    assert "display: none !important" in rules
    victim, _cases, _officer = person_with_records()
    page = client_as(make_user(role=Role.MANAGER)).get(f"/people/{victim.id}/subject-access").text
    assert 'class="govuk-body casework-no-print"><a class="govuk-link" href="/people/' in page
    for screen_only in ("govuk-service-navigation", "govuk-back-link", "govuk-footer", "govuk-skip-link"):
        assert f'class="{screen_only}' in page, screen_only


@pytest.mark.parametrize("path", ["", "/download"])
def test_the_collector_waits_for_the_export_and_runs_again_after_it(
    client_as: ClientAs, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    victim, _cases, _officer = person_with_records()
    manager = make_user(role=Role.MANAGER)
    seen = []
    export = subject_access_views.export_person

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return export(*args, **kwargs)

    monkeypatch.setattr(subject_access_views, "export_person", watched)
    assert gc.isenabled()
    assert client_as(manager).get(f"/people/{victim.id}/subject-access{path}").status_code == 200
    assert client_as(manager).get(f"/people/999999/subject-access{path}").status_code == 404
    assert seen == [False, False] and gc.isenabled()
