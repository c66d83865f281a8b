"""The `flask casework` commands an operator runs: create-admin and demo."""

import re

import pyotp
import pytest
from sqlalchemy import func, select, update

from casework import db
from casework.accounts.models import User
from casework.accounts.services.passwords import verify_password
from casework.agencies.models import Agency
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseParty, Note
from casework.demo import DEMO_PASSWORD
from casework.people.models import Person
from casework.permissions import Role
from tests.factories import make_agency, make_user

ADMIN_PASSWORD = "a long admin passphrase"


@pytest.fixture
def run(app, session):
    runner = app.test_cli_runner()
    return lambda *args, **kwargs: runner.invoke(args=["casework", *args], **kwargs)


def create_admin(
    run,
    *,
    email="admin@example.test",
    name="Chris Allerton",
    agency="Fenland District Council",
    password=ADMIN_PASSWORD,
):
    return run("create-admin", "--email", email, "--name", name, "--agency", agency, "--password", password)


def counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Agency, User, AuditEvent, Case, Person, CaseParty, Note)
    }


# --- create-admin -------------------------------------------------------------------


def test_create_admin_creates_the_agency_and_the_account(run):
    result = create_admin(run, email=" Admin@Example.TEST ")
    assert result.exit_code == 0, result.output
    assert "Administrator admin@example.test created in Fenland District Council." in result.output
    user = db.session.scalar(select(User).where(User.email == "admin@example.test"))
    assert (user.name, user.role, user.active, user.agency.name) == (
        "Chris Allerton",
        Role.ADMIN,
        True,
        "Fenland District Council",
    )
    assert verify_password(user.password_hash, ADMIN_PASSWORD)
    # They typed it themselves, on the server: not a temporary password to change.
    assert not user.must_change_password
    verbs = list(db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))
    assert verbs == ["agency.created", "user.created"]


def test_create_admin_joins_an_existing_agency_whatever_its_case(run):
    agency = make_agency(name="Fenland District Council")
    before = counts()
    result = create_admin(run, agency="  fenland DISTRICT council ")
    assert result.exit_code == 0, result.output
    assert counts()["Agency"] == before["Agency"]
    assert db.session.scalar(select(User).where(User.email == "admin@example.test")).agency_id == agency.id


def test_the_new_admin_can_sign_in_and_manage_users(run, client):
    assert create_admin(run).exit_code == 0
    response = client.post("/sign-in", data={"email": "admin@example.test", "password": ADMIN_PASSWORD})
    # There is no default account that skips the second factor: the first administrator
    # sets up an authenticator app before reaching anything.
    assert response.status_code == 302
    assert response.location == "/sign-in/two-factor/setup"
    assert client.get("/admin/users").status_code == 302
    shown = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', client.get(response.location).text).group(1)
    secret = shown.replace(" ", "")
    enrolled = client.post(response.location, data={"code": pyotp.TOTP(secret).now()})
    assert enrolled.status_code == 200 and 'id="recovery-codes"' in enrolled.text
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("too short", "Password must be 12 characters or more"),
        ("passwordpassword", "Choose a password that is harder to guess"),
    ],
)
def test_create_admin_refuses_a_weak_password_and_writes_nothing(run, password, message):
    before = counts()
    result = create_admin(run, password=password, agency="A Brand New Agency")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert counts() == before  # not even the new agency


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("email", "not-an-address", "Enter an email address in the correct format"),
        ("name", "   ", "Enter a full name and an agency name"),
        ("agency", "  ", "Enter a full name and an agency name"),
    ],
)
def test_create_admin_refuses_bad_details_and_writes_nothing(run, option, value, message):
    before = counts()
    result = create_admin(run, **{option: value})
    assert result.exit_code != 0
    assert message in result.output
    assert counts() == before


def test_create_admin_refuses_an_address_already_in_use(run):
    make_user(email="admin@example.test")
    before = counts()
    result = create_admin(run, email="ADMIN@example.test")
    assert result.exit_code != 0
    assert "A user with this email address already exists" in result.output
    assert counts() == before


def test_create_admin_asks_for_what_it_is_not_given(run):
    typed = "admin@example.test\nChris Allerton\nFenland District Council\n" + f"{ADMIN_PASSWORD}\n" * 2
    result = run("create-admin", input=typed)
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).where(User.email == "admin@example.test")) is Role.ADMIN


def test_there_is_no_default_password(run):
    result = run("create-admin", "--email", "admin@example.test", "--name", "Chris", "--agency", "Council", input="\n")
    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.email == "admin@example.test")) is None


# --- demo ---------------------------------------------------------------------------


def test_demo_loads_once_and_a_second_run_adds_nothing(run):
    before = counts()
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "Demo partnership loaded." in first.output
    loaded = counts()
    assert loaded["Agency"] >= before["Agency"] + 8
    assert loaded["Case"] > before["Case"] + 20
    assert loaded["Person"] > before["Person"]
    assert loaded["Note"] > before["Note"]

    second = run("demo")
    assert second.exit_code == 0, second.output
    assert "Demo partnership already present." in second.output
    assert counts() == loaded


def test_demo_has_an_account_for_every_role_with_the_demo_password(run):
    assert run("demo").exit_code == 0
    expected = {
        "member@demo.test": Role.PSG_MEMBER,
        "chair@demo.test": Role.PSG_CHAIR,
        "licensing@demo.test": Role.LICENSING_OFFICER,
        "manager@demo.test": Role.MANAGER,
        "partner@demo.test": Role.PARTNER,
        "analyst@demo.test": Role.ANALYST,
        "admin@demo.test": Role.ADMIN,
    }
    accounts = {user.email: user for user in db.session.scalars(select(User).where(User.email.in_(expected)))}
    assert {email: user.role for email, user in accounts.items()} == expected
    assert set(expected.values()) == set(Role)
    assert all(user.active for user in accounts.values())
    for password_hash in {user.password_hash for user in accounts.values()}:  # hashed once, shared
        assert verify_password(password_hash, DEMO_PASSWORD)
    assert DEMO_PASSWORD == "casework-demo"


def test_a_demo_loaded_before_the_second_factor_gets_its_exemption_back(run, client):
    """Databases loaded before accounts had a second factor kept their demo accounts
    without the exemption; loading the demo again gives it, to demo accounts only."""
    assert run("demo").exit_code == 0
    db.session.execute(update(User).values(mfa_exempt=False))
    someone = make_user(role=Role.ADMIN, email="real.admin@example.test")
    assert run("demo").exit_code == 0
    assert db.session.scalar(select(User.mfa_exempt).where(User.email == "admin@demo.test")) is True
    assert db.session.get(User, someone.id).mfa_exempt is False
    response = client.post("/sign-in", data={"email": "admin@demo.test", "password": DEMO_PASSWORD})
    assert response.location == "/"


def test_no_demo_no_exemption(run):
    make_user(email="member@demo.test")  # a real account that happens to have the address
    assert run("demo").output.startswith("Demo partnership already present.")
    assert db.session.scalar(select(User.mfa_exempt).where(User.email == "member@demo.test")) is False


def test_demo_output_lists_the_sign_ins(run):
    output = run("demo").output
    assert "casework-demo" in output
    for email in ("member@demo.test", "admin@demo.test", "analyst@demo.test"):
        assert email in output


def test_demo_accounts_sign_in_through_the_form(run, client):
    assert run("demo").exit_code == 0
    response = client.post("/sign-in", data={"email": "chair@demo.test", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_demo_admin_can_edit_a_demo_account(run, client_as):
    """The demo addresses use the reserved .test domain; the admin form must accept them."""
    assert run("demo").exit_code == 0
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.test"))
    member = db.session.scalar(select(User).where(User.email == "member@demo.test"))
    response = client_as(admin).post(
        f"/admin/users/{member.id}",
        data={
            "version": member.version,
            "name": member.name,
            "email": member.email,
            "agency_id": member.agency_id,
            "role": "psg_chair",
        },
    )
    assert response.status_code == 302
    assert db.session.get(User, member.id).role is Role.PSG_CHAIR
