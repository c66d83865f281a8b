"""The whole subject access export, HTML and JSON, against a copy kept in the
repository, so that nothing in it changes unnoticed: every section filled, text that
needs escaping, times on both sides of a clock change, a person taken off a case.

Ids and case references differ from run to run and between databases, so they are
replaced by names before the comparison. To accept a deliberate change of the export,
run this file with ``CASEWORK_WRITE_GOLDEN=1`` and review the diff of the copies.
"""

import json
import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from casework import db
from casework.actions.models import Action, ActionStatus, ActionUpdate
from casework.audit.models import AuditEvent
from casework.cases.models import CaseStatus, Note, NoteKind, PartyRole
from casework.clock import utcnow
from casework.meetings.models import Meeting, MeetingDecision, MeetingKind
from casework.permissions import Role
from casework.referrals.models import Consent, ReferralStatus
from casework.victims.models import ClockKind, ClockOutcome, RiskAssessment, RiskLevel
from casework.victims.services import risk, riskmatrix
from tests.factories import (
    add_party,
    make_agency,
    make_agenda_item,
    make_case,
    make_person,
    make_psg_meeting,
    make_referral,
    make_user,
)
from tests.support.sla_clocks import make_clock

pytestmark = pytest.mark.both_databases

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 12, 2, 9, 30, 0, 250_000, tzinfo=UTC)
TRICKY = 'Said "leave <now>" & slammed the door\nSecond line: Zoë’s café'


def _recorded() -> dict[str, Any]:
    """A victim on three cases with every kind of record the export shows; returns the
    ids and references to name in the copies."""
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    officer = make_user(agency=council, name="Olive Officer", email="olive@example.test")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris <Chair>", email="chris@example.test")
    constable = make_user(agency=police, name="Pat Constable", email="pat@example.test")
    start = utcnow() - timedelta(days=400)
    victim = make_person(created_by=officer, first_name="Vera", last_name="O'Victim")
    victim.vulnerabilities = "Hearing loss & anxiety"
    open_case = make_case(
        lead_agency=council, opened_by=officer, involved=[police], title="Stones & <bottles> at windows",
        opened_at=start, reference="ASB-2025-00101",
    )  # fmt: skip
    closed_case = make_case(
        lead_agency=police, opened_by=constable, title="Threats in the stairwell", status=CaseStatus.CLOSED,
        opened_at=start + timedelta(days=30), reference="ASB-2025-00102", restricted=True,
    )  # fmt: skip
    bare_case = make_case(lead_agency=council, opened_by=officer, title="Noise", reference="ASB-2026-00103")
    add_party(case=open_case, person=victim, role=PartyRole.VICTIM)
    add_party(case=open_case, person=victim, role=PartyRole.COMPLAINANT)
    perpetrator = make_person(created_by=officer, first_name="Percy", last_name="Perp & Co")
    witness = make_person(created_by=officer, first_name="Wendy", last_name="Witness")
    add_party(case=open_case, person=perpetrator, role=PartyRole.PERPETRATOR)
    add_party(case=closed_case, person=witness, role=PartyRole.VICTIM)
    taken_off = add_party(case=closed_case, person=victim, role=PartyRole.WITNESS)
    taken_off.removed_at = start + timedelta(days=45)
    taken_off.removal_reason = "Added by mistake <wrong Vera>"
    add_party(case=bare_case, person=victim, role=PartyRole.VICTIM)
    # Notes in summer and winter time, one with the same time as another.
    for days, kind, body, author in (
        (3, NoteKind.NOTE, TRICKY, officer),
        (150, NoteKind.CONTACT, "Phoned Vera", constable),
        (150, NoteKind.DECISION, "Agreed a visit", officer),
        (300, NoteKind.INCIDENT, "Bottle thrown", officer),
    ):
        db.session.add(
            Note(
                case_id=open_case.id, author_id=author.id, kind=kind, body=body, created_at=start + timedelta(days=days)
            )
        )
    db.session.add(Note(case_id=closed_case.id, author_id=constable.id, kind=NoteKind.STATUS, body="Case closed", created_at=start + timedelta(days=60)))  # fmt: skip
    done = Action(
        case_id=open_case.id, title="Fit window locks", detail="Front & back\n<both> doors", assigned_agency_id=council.id,
        assignee_id=officer.id, due_on=date(2026, 3, 29), status=ActionStatus.DONE, completion_note="Fitted <all>",
        completed_at=start + timedelta(days=100), created_by_id=officer.id, created_at=start + timedelta(days=5),
    )  # fmt: skip
    owed = Action(
        case_id=open_case.id, title="Patrol the street", assigned_agency_id=police.id, due_on=date(2026, 10, 25),
        created_by_id=chair.id, created_at=start + timedelta(days=6),
    )  # fmt: skip
    db.session.add_all([done, owed])
    db.session.flush()
    db.session.add_all(
        [
            ActionUpdate(action_id=done.id, note="", from_status=ActionStatus.OPEN, to_status=ActionStatus.IN_PROGRESS,
                         author_id=officer.id, at=start + timedelta(days=20)),
            ActionUpdate(action_id=done.id, note="Locksmith booked for \"Monday\"", author_id=constable.id,
                         at=start + timedelta(days=21)),
        ]
    )  # fmt: skip
    meeting = make_psg_meeting(chair=chair, held_at=start + timedelta(days=200))
    item = make_agenda_item(
        meeting=meeting, position=1, case=open_case, reasons=("High-risk victim", "New <referral>"),
        minutes="Discussed Vera\nand her neighbour",
    )  # fmt: skip
    db.session.add(MeetingDecision(item_id=item.id, text="Refer to housing & health", recorded_by_id=chair.id,
                                   recorded_at=start + timedelta(days=200, hours=1)))  # fmt: skip
    make_agenda_item(
        meeting=make_psg_meeting(chair=chair, held_at=start + timedelta(days=230)), position=1, case=open_case
    )
    db.session.add(
        Meeting(kind=MeetingKind.CASE_CONFERENCE, case_id=open_case.id, held_at=start + timedelta(days=2),
                chair_id=chair.id, outcome="Safety plan <agreed>", recorded_by_id=officer.id)
    )  # fmt: skip
    matrix = risk.current_matrix()
    questions = riskmatrix.parse(matrix.definition).questions
    db.session.add(
        RiskAssessment(
            case_id=open_case.id, person_id=victim.id, matrix_id=matrix.id, score=12,
            answers={questions[0].id: questions[0].options[-1].id, questions[1].id: questions[1].options[0].id,
                     "retired": "yes"},
            computed_level=RiskLevel.MEDIUM, override_level=RiskLevel.HIGH, level=RiskLevel.HIGH,
            override_reason="Weapon <mentioned>", assessed_at=start + timedelta(days=1), assessed_by_id=officer.id,
        )
    )  # fmt: skip
    make_clock(case=open_case, person=victim, started_at=start + timedelta(days=1), outcome=ClockOutcome.MET)
    make_clock(case=open_case, person=victim, started_at=utcnow() - timedelta(days=2), kind=ClockKind.REDUCE_7D)
    make_clock(
        case=closed_case, person=victim, started_at=start + timedelta(days=31), outcome=ClockOutcome.STOPPED,
        stop_reason="Moved & re-housed",
    )  # fmt: skip
    accepted = make_referral(
        referrer=constable, first_name="Vera", last_name="O'Victim", what_is_happening="Stones <every> night",
        received_at=start - timedelta(days=1), status=ReferralStatus.ACCEPTED,
    )  # fmt: skip
    accepted.person_id, accepted.case_id, accepted.risks = victim.id, open_case.id, "Lives alone"
    accepted.decided_by_id, accepted.decided_at = chair.id, start
    declined = make_referral(
        referrer=officer, first_name="Vera", last_name="", date_of_birth=None, place="Market Place",
        consent=Consent.NO, status=ReferralStatus.DECLINED, received_at=start + timedelta(days=250),
    )  # fmt: skip
    declined.person_id, declined.decided_by_id, declined.decided_at = victim.id, chair.id, start + timedelta(days=251)
    declined.decline_reason = "Already a case"
    follow_up = Action(
        referral_id=accepted.id, title="Call the referrer", assigned_agency_id=police.id, due_on=date(2025, 11, 3),
        created_by_id=chair.id, created_at=start + timedelta(hours=2), meeting_id=meeting.id,
    )  # fmt: skip
    db.session.add(follow_up)
    db.session.flush()
    db.session.add(ActionUpdate(action_id=follow_up.id, note="Left a message", author_id=constable.id, at=start + timedelta(days=1)))  # fmt: skip
    for days, actor, verb, case, person, detail in (
        (1, officer, "case.viewed", open_case, None, {}),
        (1, chair, "case.access_requested", closed_case, None, {"reason": "Same <family>"}),
        (2, constable, "person.viewed", None, victim, {"label": "Safeguarding concern", "details": "Before the visit"}),
        (2, None, "case.viewed", bare_case, None, {}),
        (90, officer, "note.added", open_case, victim, {"label": "", "details": "Only details"}),
        (200, chair, "case.viewed", open_case, None, ["not", "a", "mapping"]),
    ):
        db.session.add(
            AuditEvent(
                at=start + timedelta(days=days), actor_id=actor.id if actor else None, verb=verb,
                object_type="case" if case else "person", object_id=(case or person).id,
                case_id=case.id if case else None, person_id=person.id if person else None, detail=detail,
            )
        )  # fmt: skip
    db.session.commit()
    names = {
        "person": {victim.id: "victim", perpetrator.id: "perpetrator", witness.id: "witness"},
        "action": {done.id: "done", owed.id: "owed", follow_up.id: "follow-up"},
        "referral": {accepted.id: "accepted", declined.id: "declined"},
    }
    return {"victim": victim.id, "names": names, "manager": make_user(role=Role.MANAGER, name="Mina Manager")}


Names = dict[str, dict[int, str]]
SECTION_OF = {"person": "person", "actions": "action", "referrals": "referral"}


def _named(data: Any, names: Names, kind: str = "") -> Any:
    """The export with the ids it contains replaced by names: ``id`` is the id of what
    the section holds (the person, an action, a referral), ``person_id`` a person's."""
    if isinstance(data, dict):
        return {
            key: names[kind][value]
            if key == "id"
            else names["person"][value]
            if key == "person_id"
            else _named(value, names, SECTION_OF.get(key, kind))
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_named(value, names, kind) for value in data]
    return data


def _page(html: str, names: Names) -> str:
    """The page from the back link to the end of the main content, people's ids named."""
    page = html[html.index('<a href="/people/') : html.index("</main>")]
    return re.sub(r"(?<=person )\d+|(?<=/people/)\d+", lambda m: names["person"][int(m.group(0))], page)


def _compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CASEWORK_WRITE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
    assert actual == path.read_text(), f"the export differs from {path.relative_to(Path.cwd())}"


def test_the_whole_export_is_as_kept(client_as, time_machine) -> None:
    time_machine.move_to(NOW, tick=False)  # the times recorded, to the microsecond
    made = _recorded()
    client = client_as(made["manager"])
    base = f"/people/{made['victim']}/subject-access"

    page = client.get(base)
    download = client.get(f"{base}/download")

    assert page.status_code == download.status_code == 200
    _compare("subject_access.html", _page(page.text, made["names"]))
    # The download byte for byte, ids named: indented, non-ASCII kept as it is.
    data = json.loads(download.data)
    assert download.text == json.dumps(data, indent=2, ensure_ascii=False)
    _compare("subject_access.json", json.dumps(_named(data, made["names"]), indent=2, ensure_ascii=False) + "\n")


def test_the_kept_copies_show_every_section() -> None:
    """The copies are worth comparing only if nothing in them is empty."""
    data = json.loads((GOLDEN / "subject_access.json").read_text())
    first, second, third = data["cases"]
    for key in ("roles", "third_parties", "notes", "actions", "psg_meetings", "case_conferences"):
        assert first[key], key
    assert second["roles"][0]["removed_at"] and not third["notes"]
    assert all(data[key] for key in ("risk_assessments", "sla_clocks", "referrals", "audit"))
    assert data["referrals"][0]["actions"][0]["updates"]
    assert {event["who"] for event in data["audit"]} >= {"System", "Olive Officer"}
    assert datetime.fromisoformat(data["generated_at"]).tzinfo is not None
