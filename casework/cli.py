"""`flask --app wsgi casework ...` commands. Each commits once, like a request."""

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from casework import db
from casework.exceptions import InvalidInput
from casework.forms.fields import EMAIL_FORMAT, is_email_address
from casework.models import Agency, AgencyKind
from casework.permissions import Role
from casework.services import agencies, users


@click.group()
def casework() -> None:
    """Casework administration."""


@casework.command("create-admin")
@click.option("--email", prompt="Email address")
@click.option("--name", prompt="Full name")
@click.option("--agency", "agency_name", prompt="Agency name (created if new)")
@click.password_option("--password", prompt="Password (12 characters or more)")
@with_appcontext
def create_admin(email: str, name: str, agency_name: str, password: str) -> None:
    """Create an administrator account. There is no default password."""
    if not is_email_address(email):
        raise click.ClickException(EMAIL_FORMAT)
    if not name.strip() or not agency_name.strip():
        raise click.ClickException("Enter a full name and an agency name")
    # Agency names are unique whatever their case, so find an existing one the same way.
    agency = db.session.scalar(select(Agency).where(func.lower(Agency.name) == agency_name.strip().lower()))
    try:
        if agency is None:
            agency = agencies.create_agency(None, name=agency_name, kind=AgencyKind.COUNCIL, statutory=True)
        user = users.create_user(
            None, email=email, name=name, agency_id=agency.id, role=Role.ADMIN, password=password
        )
    except InvalidInput as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Administrator {user.email} created in {agency.name}.")


@casework.command("demo")
@with_appcontext
def demo() -> None:
    """Load the fictional demo partnership (safe to run again)."""
    from casework.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo

    created = load_demo()
    db.session.commit()
    click.echo("Demo partnership loaded." if created else "Demo partnership already present.")
    click.echo(f"Demo sign-ins, all with the password {DEMO_PASSWORD}:")
    for email, _name, role, _agency in DEMO_ACCOUNTS:
        click.echo(f"  {role.label:<26} {email}")
