"""Administrators manage user accounts and agencies; nobody else may."""

import re

import pytest
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.accounts.services.passwords import verify_password
from casework.agencies.models import Agency, AgencyKind
from casework.audit.models import AuditEvent
from casework.permissions import Role
from tests import factories
from tests.factories import make_agency, make_user

NOT_ADMINS = [role for role in Role if role is not Role.ADMIN]
NEW_PASSWORD = "a long temporary passphrase"


@pytest.fixture
def home(session):
    return make_agency(name="Fenland District Council")


@pytest.fixture
def admin(home):
    return make_user(role=Role.ADMIN, agency=home, name="Chris Admin")


@pytest.fixture
def as_admin(client_as, admin):
    return client_as(admin)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def audit_events(verb):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)))


def field_value(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


def version_on_page(html):
    return int(field_value(html, "version"))


def error_summary(html):
    """The GOV.UK error summary at the top of a page, or nothing."""
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    return match.group(0) if match else ""


# --- Who may ------------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_only_admins_reach_user_and_agency_management(client_as, home, role):
    # Ids, not objects: an error page rolls back, which expires what the session held.
    other = make_user()
    other_id, other_version = other.id, other.version
    agency_id = make_agency().id
    browser = client_as(make_user(role=role, agency=home))
    for url in ("/admin/users", "/admin/users/new", "/admin/agencies", "/admin/agencies/new"):
        response = browser.get(url)
        assert response.status_code == 403, url
        assert "You do not have access to this page" in response.text
    # A page about one record does not confirm it exists.
    assert browser.get(f"/admin/users/{other_id}").status_code == 404
    assert browser.get(f"/admin/agencies/{agency_id}").status_code == 404
    assert browser.post(f"/admin/users/{other_id}/deactivate", data={"version": other_version}).status_code == 404
    assert db.session.get(User, other_id).active


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_others_cannot_create_users_by_posting_the_form(client_as, home, role):
    browser = client_as(make_user(role=role, agency=home))
    users = count(User)
    response = browser.post(
        "/admin/users/new",
        data={
            "name": "Eve",
            "email": "eve@example.test",
            "agency_id": home.id,
            "role": "admin",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 403
    assert count(User) == users


def test_admin_sees_every_account_including_deactivated(as_admin, home):
    make_user(name="Active Person", agency=home)
    make_user(name="Gone Person", agency=home, active=False)
    response = as_admin.get("/admin/users")
    assert response.status_code == 200
    assert "Active Person" in response.text
    assert "Gone Person" in response.text
    assert "Deactivated" in response.text


def test_unknown_user_is_404(as_admin):
    assert as_admin.get("/admin/users/999999").status_code == 404


# --- Creating users -----------------------------------------------------------------


def new_user_form(agency, **changes):
    data = {
        "name": "Priya Holloway",
        "email": "priya@example.test",
        "agency_id": agency.id,
        "role": "psg_chair",
        "password": NEW_PASSWORD,
    }
    return {**data, **changes}


def test_admin_creates_a_user_with_agency_and_role(as_admin, admin):
    police = make_agency(name="Cambridgeshire Constabulary", kind=AgencyKind.POLICE)
    form_page = as_admin.get("/admin/users/new")
    assert form_page.status_code == 200
    assert "Cambridgeshire Constabulary" in form_page.text
    response = as_admin.post("/admin/users/new", data=new_user_form(police, email=" Priya@Example.TEST "))
    assert response.status_code == 302
    assert response.location == "/admin/users"
    user = db.session.scalar(select(User).where(User.email == "priya@example.test"))
    assert user is not None
    assert (user.name, user.agency_id, user.role, user.active) == ("Priya Holloway", police.id, Role.PSG_CHAIR, True)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    [event] = audit_events("user.created")
    assert (event.actor_id, event.object_id) == (admin.id, user.id)
    assert event.detail == {"role": "psg_chair", "agency_id": police.id}
    assert "User Priya Holloway created." in as_admin.get(response.location).text


def test_new_user_signs_in_with_the_temporary_password_and_chooses_their_own(as_admin, client, home):
    as_admin.post("/admin/users/new", data=new_user_form(home))
    response = client.post("/sign-in", data={"email": "priya@example.test", "password": NEW_PASSWORD})
    assert response.status_code == 302
    # The administrator knows the password they typed: nothing opens until the user
    # has chosen one only they know.
    assert client.get("/").location == "/account/password"
    assert client.get("/cases").location == "/account/password"
    own = "a passphrase only priya knows"
    changed = client.post("/account/password", data={"current_password": NEW_PASSWORD, "password": own})
    assert changed.status_code == 302
    assert "PSG chair" in client.get("/").text
    assert not db.session.scalar(select(User.must_change_password).where(User.email == "priya@example.test"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "taken@example.test"}, "email", "A user with this email address already exists"),
        ({"email": "TAKEN@example.test"}, "email", "A user with this email address already exists"),
        ({"email": "not-an-address"}, "email", "Enter an email address in the correct format"),
        ({"agency_id": "999999"}, "agency_id", "Select an agency from the list"),
        ({"agency_id": "inactive"}, "agency_id", "Select an agency from the list"),
        ({"agency_id": ""}, "agency_id", "Select the agency"),
        ({"name": "N" * 201}, "name", "Full name must be 200 characters or fewer"),
        ({"name": ""}, "name", "Enter the full name"),
        ({"role": ""}, "role", "Select the role"),
        ({"role": "superuser"}, "role", None),
        ({"password": "too short"}, "password", "Password must be 12 characters or more"),
        ({"password": "passwordpassword"}, "password", "Choose a password that is harder to guess"),
    ],
)
def test_bad_new_user_is_refused_and_nothing_is_written(as_admin, home, changes, field, message):
    make_user(email="taken@example.test", agency=home)
    if changes.get("agency_id") == "inactive":
        changes = {"agency_id": make_agency(active=False).id}
    users, events = count(User), count(AuditEvent)
    data = new_user_form(home, **changes)
    response = as_admin.post("/admin/users/new", data=data)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert f'href="#{field}"' in response.text  # the summary links to the field to fix
    if message:
        assert message in response.text
    assert (count(User), count(AuditEvent)) == (users, events)
    # What was typed is kept (except the password).
    if field != "name":
        assert field_value(response.text, "name") == data["name"]
    if field != "email":
        assert field_value(response.text, "email") == data["email"]
    assert NEW_PASSWORD not in response.text


def test_agency_choices_offer_only_active_agencies(as_admin):
    make_agency(name="Wound Up Trust", active=False)
    make_agency(name="Going Concern Trust")
    page = as_admin.get("/admin/users/new").text
    assert "Going Concern Trust" in page
    assert "Wound Up Trust" not in page


# --- Editing users ------------------------------------------------------------------


def edit_form(user, **changes):
    data = {
        "version": user.version,
        "name": user.name,
        "email": user.email,
        "agency_id": user.agency_id,
        "role": user.role.value,
    }
    return {**data, **changes}


def test_admin_changes_role_and_agency_and_it_is_audited(as_admin, admin, home):
    user = make_user(role=Role.PSG_MEMBER, agency=home)
    police = make_agency(kind=AgencyKind.POLICE)
    page = as_admin.get(f"/admin/users/{user.id}")
    assert page.status_code == 200
    assert field_value(page.text, "email") == user.email
    response = as_admin.post(
        f"/admin/users/{user.id}",
        data=edit_form(user, version=version_on_page(page.text), role="manager", agency_id=police.id),
    )
    assert response.status_code == 302
    stored = db.session.get(User, user.id)
    assert (stored.role, stored.agency_id) == (Role.MANAGER, police.id)
    [event] = audit_events("user.updated")
    assert (event.actor_id, event.object_id) == (admin.id, user.id)
    assert event.detail == {
        "agency_id": {"from": home.id, "to": police.id},
        "role": {"from": "psg_member", "to": "manager"},
    }


def test_saving_without_changes_writes_no_audit_event(as_admin, home):
    user = make_user(agency=home)
    assert as_admin.post(f"/admin/users/{user.id}", data=edit_form(user)).status_code == 302
    assert audit_events("user.updated") == []


def test_bad_edit_is_refused_and_nothing_changes(as_admin, home):
    user = make_user(agency=home, name="Original Name")
    make_user(email="taken@example.test", agency=home)
    events = count(AuditEvent)
    response = as_admin.post(
        f"/admin/users/{user.id}", data=edit_form(user, name="Typed Name", email="taken@example.test")
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "A user with this email address already exists" in response.text
    assert field_value(response.text, "name") == "Typed Name"
    assert db.session.get(User, user.id).name == "Original Name"
    assert count(AuditEvent) == events


def test_stale_edit_gets_the_conflict_page(client_as, as_admin, home):
    user = make_user(agency=home)
    old_version = version_on_page(as_admin.get(f"/admin/users/{user.id}").text)
    other_admin = client_as(make_user(role=Role.ADMIN, agency=home))
    assert other_admin.post(f"/admin/users/{user.id}", data=edit_form(user, name="Changed First")).status_code == 302
    events = count(AuditEvent)
    response = as_admin.post(f"/admin/users/{user.id}", data=edit_form(user, version=old_version, role="manager"))
    assert response.status_code == 409
    assert "Someone else changed this record" in response.text
    stored = db.session.get(User, user.id)
    assert (stored.name, stored.role) == ("Changed First", Role.PSG_MEMBER)
    assert count(AuditEvent) == events


def test_the_user_signing_in_does_not_make_an_open_edit_stale(as_admin, client, home):
    user = make_user(agency=home)
    version = version_on_page(as_admin.get(f"/admin/users/{user.id}").text)
    assert client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD}).status_code == 302
    assert client.post("/sign-out").status_code == 302
    response = as_admin.post(f"/admin/users/{user.id}", data=edit_form(user, version=version, role="manager"))
    assert response.status_code == 302
    assert db.session.get(User, user.id).role is Role.MANAGER


def test_admin_cannot_remove_their_own_admin_role(as_admin, admin):
    response = as_admin.post(f"/admin/users/{admin.id}", data=edit_form(admin, role="manager"))
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "You cannot remove your own administrator role" in response.text
    assert db.session.get(User, admin.id).role is Role.ADMIN


def test_admin_may_edit_their_own_name(as_admin, admin):
    assert as_admin.post(f"/admin/users/{admin.id}", data=edit_form(admin, name="Christine Admin")).status_code == 302
    assert "Signed in as Christine Admin" in as_admin.get("/").text


# --- Deactivating and reactivating --------------------------------------------------


def test_deactivate_and_reactivate_keep_the_row(as_admin, admin, home):
    user = make_user(agency=home)
    page = as_admin.get(f"/admin/users/{user.id}")
    assert "Deactivate account" in page.text
    response = as_admin.post(f"/admin/users/{user.id}/deactivate", data={"version": version_on_page(page.text)})
    assert response.status_code == 302
    stored = db.session.get(User, user.id)
    assert stored is not None and not stored.active
    assert "deactivated" in as_admin.get("/admin/users").text

    page = as_admin.get(f"/admin/users/{user.id}")
    assert "Reactivate account" in page.text
    response = as_admin.post(f"/admin/users/{user.id}/reactivate", data={"version": version_on_page(page.text)})
    assert response.status_code == 302
    assert db.session.get(User, user.id).active
    assert [e.object_id for e in audit_events("user.deactivated")] == [user.id]
    assert [e.object_id for e in audit_events("user.activated")] == [user.id]
    assert audit_events("user.deactivated")[0].actor_id == admin.id


def test_deactivated_user_cannot_sign_in(as_admin, client, home):
    user = make_user(agency=home)
    as_admin.post(f"/admin/users/{user.id}/deactivate", data={"version": user.version})
    response = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text


def test_stale_deactivation_goes_back_with_the_conflict_as_an_error(as_admin, home):
    user = make_user(agency=home)
    old_version = user.version
    as_admin.post(f"/admin/users/{user.id}", data=edit_form(user, name="Renamed"))
    response = as_admin.post(f"/admin/users/{user.id}/deactivate", data={"version": old_version})
    assert response.status_code == 302
    assert response.location == f"/admin/users/{user.id}"
    page = as_admin.get(response.location).text
    assert 'class="govuk-error-summary"' in page
    assert "Someone else changed this record after you opened this page" in error_summary(page)
    assert db.session.get(User, user.id).active


def test_deactivation_needs_the_version(as_admin, home):
    user = make_user(agency=home)
    response = as_admin.post(f"/admin/users/{user.id}/deactivate", data={})
    assert response.status_code == 302
    assert db.session.get(User, user.id).active


def test_deactivation_is_post_only(as_admin, home):
    user = make_user(agency=home)
    assert as_admin.get(f"/admin/users/{user.id}/deactivate").status_code == 405
    assert db.session.get(User, user.id).active


def test_admin_cannot_deactivate_themselves(as_admin, admin):
    assert "Deactivate account" not in as_admin.get(f"/admin/users/{admin.id}").text
    response = as_admin.post(f"/admin/users/{admin.id}/deactivate", data={"version": admin.version})
    assert response.status_code == 302
    assert response.location == f"/admin/users/{admin.id}"
    assert "You cannot deactivate your own account" in error_summary(as_admin.get(response.location).text)
    assert db.session.get(User, admin.id).active
    assert audit_events("user.deactivated") == []


# --- Agencies ----------------------------------------------------------------------


def agency_form(**changes):
    return {"name": "Roddons Housing Association", "kind": "housing", **changes}


def test_admin_creates_renames_and_deactivates_an_agency(as_admin, admin):
    assert as_admin.get("/admin/agencies/new").status_code == 200
    response = as_admin.post("/admin/agencies/new", data=agency_form(statutory="y"))
    assert response.status_code == 302
    agency = db.session.scalar(select(Agency).where(Agency.name == "Roddons Housing Association"))
    assert (agency.kind, agency.statutory, agency.active) == (AgencyKind.HOUSING, True, True)
    assert "Roddons Housing Association" in as_admin.get("/admin/agencies").text

    page = as_admin.get(f"/admin/agencies/{agency.id}")
    assert field_value(page.text, "name") == "Roddons Housing Association"
    response = as_admin.post(
        f"/admin/agencies/{agency.id}", data=agency_form(name="Roddons Housing", statutory="y", active="y")
    )
    assert response.status_code == 302
    assert db.session.get(Agency, agency.id).name == "Roddons Housing"

    response = as_admin.post(f"/admin/agencies/{agency.id}", data=agency_form(name="Roddons Housing", statutory="y"))
    assert response.status_code == 302
    stored = db.session.get(Agency, agency.id)
    assert (stored.name, stored.active) == ("Roddons Housing", False)
    assert "Inactive" in as_admin.get("/admin/agencies").text

    [created] = audit_events("agency.created")
    assert (created.actor_id, created.object_id) == (admin.id, agency.id)
    renamed, deactivated = audit_events("agency.updated")
    assert renamed.detail == {"name": {"from": "Roddons Housing Association", "to": "Roddons Housing"}}
    assert deactivated.detail == {"active": {"from": True, "to": False}}


@pytest.mark.parametrize(
    "name", ["Fenland District Council", "FENLAND district council", "  fenland district council "]
)
def test_duplicate_agency_name_is_refused_whatever_its_case(as_admin, home, name):
    agencies, events = count(Agency), count(AuditEvent)
    response = as_admin.post("/admin/agencies/new", data=agency_form(name=name))
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "An agency with this name already exists" in response.text
    assert (count(Agency), count(AuditEvent)) == (agencies, events)


def test_renaming_an_agency_to_anothers_name_is_refused(as_admin, home):
    other = make_agency(name="Probation Service", kind=AgencyKind.PROBATION)
    response = as_admin.post(
        f"/admin/agencies/{other.id}", data=agency_form(name="fenland district council", active="y")
    )
    assert response.status_code == 400
    assert "An agency with this name already exists" in response.text
    assert db.session.get(Agency, other.id).name == "Probation Service"


def test_bad_agency_form_is_refused(as_admin):
    agencies = count(Agency)
    response = as_admin.post("/admin/agencies/new", data={"name": "", "kind": ""})
    assert response.status_code == 400
    assert "Enter the agency name" in response.text
    assert "Select the kind of agency" in response.text
    assert count(Agency) == agencies


def test_admin_cannot_deactivate_their_own_agency(as_admin, home):
    response = as_admin.post(f"/admin/agencies/{home.id}", data=agency_form(name=home.name, kind="council"))
    assert response.status_code == 400
    assert "You cannot deactivate your own agency" in response.text
    assert db.session.get(Agency, home.id).active


def test_inactive_agencies_are_not_offered_as_lead_agency(client_as, home):
    make_agency(name="Wound Up Trust", active=False)
    make_agency(name="Going Concern Trust")
    page = client_as(make_user(role=Role.PSG_MEMBER, agency=home)).get("/cases/new")
    assert page.status_code == 200
    assert "Going Concern Trust" in page.text
    assert "Wound Up Trust" not in page.text


# --- Sessions and second factor ---------------------------------------------------


def enrol(user, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"):
    from casework.accounts.models import RecoveryCode
    from casework.clock import utcnow

    user.totp_secret = secret
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = 1
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=f"hash-{number}") for number in range(3))
    db.session.commit()
    return user


def test_user_page_shows_the_second_factor_and_session_buttons(as_admin, home):
    user = enrol(make_user(agency=home))
    page = as_admin.get(f"/admin/users/{user.id}")
    assert "Sign out everywhere" in page.text
    assert "Reset second factor" in page.text
    assert re.search(r'id="second-factor-status">\s*Set up', page.text)
    plain = make_user(agency=home)
    page = as_admin.get(f"/admin/users/{plain.id}")
    assert re.search(r'id="second-factor-status">\s*Not set up', page.text)
    assert "Reset second factor" not in page.text


def test_signing_a_user_out_everywhere(as_admin, client_as, home):
    user = make_user(agency=home)
    browsers = [client_as(user), client_as(user)]
    assert all(browser.get("/").status_code == 200 for browser in browsers)
    response = as_admin.post(f"/admin/users/{user.id}/sign-out-everywhere", data={"version": user.version})
    assert response.status_code == 302
    assert response.location == f"/admin/users/{user.id}"
    assert "has been signed out everywhere" in as_admin.get(response.location).text
    assert all(browser.get("/").status_code == 302 for browser in browsers)
    [event] = audit_events("user.signed_out_everywhere")
    assert event.object_id == user.id
    assert db.session.get(User, user.id).active  # the account itself is untouched


def test_resetting_a_users_second_factor(as_admin, client_as, client, home):
    from casework.accounts.models import RecoveryCode

    user = enrol(make_user(role=Role.MANAGER, agency=home))
    browser = client_as(user)
    assert browser.get("/").status_code == 200
    response = as_admin.post(f"/admin/users/{user.id}/reset-two-factor", data={"version": user.version})
    assert response.status_code == 302
    assert browser.get("/").status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.totp_secret is None and stored.totp_enrolled_at is None and stored.totp_last_step is None
    assert count(RecoveryCode) == 0
    [event] = audit_events("user.two_factor_reset")
    assert event.object_id == user.id
    # At the next sign-in the user sets up a new authenticator app.
    signed_in = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    assert signed_in.location == "/sign-in/two-factor/setup"


@pytest.mark.parametrize("action", ["sign-out-everywhere", "reset-two-factor"])
def test_session_actions_check_the_version(as_admin, client_as, home, action):
    user = enrol(make_user(agency=home))
    old_version = user.version
    as_admin.post(f"/admin/users/{user.id}", data=edit_form(user, name="Renamed"))
    browser = client_as(db.session.get(User, user.id))
    response = as_admin.post(f"/admin/users/{user.id}/{action}", data={"version": old_version})
    assert response.status_code == 302
    assert "Someone else changed this record" in error_summary(as_admin.get(response.location).text)
    assert browser.get("/").status_code == 200
    assert db.session.get(User, user.id).totp_secret is not None
    missing = as_admin.post(f"/admin/users/{user.id}/{action}", data={})
    assert missing.status_code == 302
    assert browser.get("/").status_code == 200


@pytest.mark.parametrize("role", NOT_ADMINS)
@pytest.mark.parametrize("action", ["sign-out-everywhere", "reset-two-factor"])
def test_only_admins_end_other_peoples_sessions(client_as, home, role, action):
    user = enrol(make_user(agency=home))
    user_id, version = user.id, user.version
    victim = client_as(user)
    response = client_as(make_user(role=role, agency=home)).post(
        f"/admin/users/{user_id}/{action}", data={"version": version}
    )
    assert response.status_code == 404
    assert victim.get("/").status_code == 200
    assert db.session.get(User, user_id).totp_secret is not None


def test_session_actions_on_an_unknown_user_are_404(as_admin):
    for action in ("sign-out-everywhere", "reset-two-factor"):
        assert as_admin.post(f"/admin/users/999999/{action}", data={"version": 1}).status_code == 404
