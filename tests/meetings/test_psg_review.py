"""The "for PSG review" flag: set and removed from the case page by users who may edit
the case, audited, refused when the case changed meanwhile, hidden from everyone else."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, Note, NoteKind
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user

PROBLEM = "There is a problem"
FLAG_BUTTON = "Flag for PSG review"
UNFLAG_BUTTON = "Remove PSG review flag"


def reload(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def flag_events(case: Case) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.verb == "case.psg_review_changed", AuditEvent.case_id == case.id)
            .order_by(AuditEvent.id)
        )
    )


def status_notes(case: Case) -> list[str]:
    return list(
        db.session.scalars(
            select(Note.body).where(Note.case_id == case.id, Note.kind == NoteKind.STATUS).order_by(Note.id)
        )
    )


@pytest.fixture
def flagging(session):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    member = make_user(agency=council, name="Priya Member")
    case = make_case(lead_agency=council, opened_by=member, involved=[police])
    return SimpleNamespace(
        council=council,
        police=police,
        member=member,
        case=case,
        reference=case.reference,
        url=f"/cases/{case.reference}/psg-review",
    )


def test_a_member_flags_the_case_for_the_next_psg_meeting(client_as, flagging):
    client = client_as(flagging.member)
    page = client.get(f"/cases/{flagging.reference}").text
    assert FLAG_BUTTON in page and "For PSG review" not in page
    assert f'action="{flagging.url}"' in page

    response = client.post(flagging.url, data={"flagged": "yes", "version": str(flagging.case.version)})
    assert response.status_code == 302
    assert response.location == f"/cases/{flagging.reference}"
    case = reload(flagging.case)
    assert case.psg_review is True
    [event] = flag_events(case)
    assert (event.actor_id, event.detail) == (flagging.member.id, {"from": False, "to": True})
    assert status_notes(case) == ["Flagged for the next PSG meeting"]

    page = client.get(f"/cases/{flagging.reference}").text
    assert "Case flagged for the next PSG meeting" in page
    assert "govuk-tag--yellow" in page and "For PSG review" in page
    assert UNFLAG_BUTTON in page
    assert f'name="version" value="{case.version}"' in page


def test_the_flag_is_removed_again(client_as, flagging):
    client = client_as(flagging.member)
    client.post(flagging.url, data={"flagged": "yes", "version": str(flagging.case.version)})
    case = reload(flagging.case)

    response = client.post(flagging.url, data={"flagged": "no", "version": str(case.version)})
    assert response.status_code == 302
    case = reload(case)
    assert case.psg_review is False
    assert [event.detail for event in flag_events(case)] == [{"from": False, "to": True}, {"from": True, "to": False}]
    assert status_notes(case) == ["Flagged for the next PSG meeting", "PSG review flag removed"]
    page = client.get(f"/cases/{flagging.reference}").text
    assert "Flag removed" in page
    assert FLAG_BUTTON in page and "For PSG review" not in page


def test_a_stale_page_gets_a_clear_conflict_and_changes_nothing(client_as, flagging):
    stale_version = flagging.case.version
    other = make_user(agency=flagging.council)
    assert (
        client_as(other).post(flagging.url, data={"flagged": "yes", "version": str(stale_version)}).status_code == 302
    )

    client = client_as(flagging.member)
    response = client.post(flagging.url, data={"flagged": "yes", "version": str(stale_version)})
    assert response.status_code == 409
    assert PROBLEM in response.text
    assert "Someone else changed this case after you opened it, so the PSG review flag was not changed" in response.text
    case = reload(flagging.case)
    assert len(flag_events(case)) == 1
    # The page shows the flag as it is now, with a button that works against the current version.
    assert UNFLAG_BUTTON in response.text
    assert f'name="version" value="{case.version}"' in response.text
    assert client.post(flagging.url, data={"flagged": "no", "version": str(case.version)}).status_code == 302
    assert reload(case).psg_review is False


@pytest.mark.parametrize(
    "form",
    [
        {"flagged": "maybe", "version": "1"},
        {"flagged": "yes", "version": "abc"},
        {"flagged": "yes"},
        {"version": "1"},
    ],
)
def test_a_tampered_form_is_refused_and_writes_nothing(client_as, flagging, form):
    response = client_as(flagging.member).post(flagging.url, data=form)
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert "Reload the page and try again" in response.text
    assert 'href="#flagged"' not in response.text and 'href="#version"' not in response.text  # hidden fields
    case = reload(flagging.case)
    assert case.psg_review is False
    assert flag_events(case) == []
    assert status_notes(case) == []


def test_a_partner_sees_neither_the_button_nor_may_flag(client_as, flagging):
    partner = make_user(role=Role.PARTNER, agency=flagging.police)
    client = client_as(partner)
    page = client.get(f"/cases/{flagging.reference}").text
    assert FLAG_BUTTON not in page
    response = client.post(flagging.url, data={"flagged": "yes", "version": str(flagging.case.version)})
    assert response.status_code == 403
    assert reload(flagging.case).psg_review is False
    assert flag_events(flagging.case) == []


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PSG_CHAIR, Role.PARTNER, Role.ANALYST])
def test_another_agency_gets_not_found(client_as, flagging, role):
    outsider = make_user(role=role, agency=make_agency(name="Roddons Housing"))
    response = client_as(outsider).post(flagging.url, data={"flagged": "yes", "version": str(flagging.case.version)})
    assert response.status_code == 404
    assert reload(flagging.case).psg_review is False
    assert flag_events(flagging.case) == []


def test_a_stub_shows_neither_the_flag_nor_the_button(client_as, flagging):
    flagging.case.psg_review = True
    db.session.commit()
    page = client_as(make_user(agency=make_agency())).get(f"/cases/{flagging.reference}").text
    assert "Limited view" in page
    assert "PSG review" not in page


def test_a_get_changes_nothing(client_as, flagging):
    response = client_as(flagging.member).get(f"{flagging.url}?flagged=yes&version={flagging.case.version}")
    assert response.status_code == 405
    assert reload(flagging.case).psg_review is False
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "case.psg_review_changed")
        )
        == 0
    )
