"""`flask --app wsgi casework ...` commands. Each commits once, like a request."""

import contextlib
import json
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from casework import db
from casework.accounts.services import users
from casework.agencies import services as agencies
from casework.agencies.models import Agency, AgencyKind
from casework.exceptions import InvalidInput
from casework.notifications.cli import notifications
from casework.permissions import Role
from casework.ui.fields import EMAIL_FORMAT, is_email_address
from casework.victims.models import RiskMatrix
from casework.victims.services import risk, riskmatrix

T = TypeVar("T")


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
        user = users.create_user(None, email=email, name=name, agency_id=agency.id, role=Role.ADMIN, password=password)
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


@casework.group("risk-matrix")
def risk_matrix() -> None:
    """Risk matrix versions."""


@risk_matrix.command("load")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def load_risk_matrix(path: Path) -> None:
    """Load a new version of the risk matrix from a JSON file.

    A version, once loaded, is never changed: loading the same file again does nothing,
    and a changed file must carry a new version number.
    """
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not a text file in UTF-8; save the matrix as JSON") from None
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"{path} is not valid JSON: {error.msg} on line {error.lineno}, column {error.colno}"
        ) from None
    try:
        parsed = riskmatrix.parse(definition)
        loaded_before = db.session.scalar(
            select(RiskMatrix.id).where(RiskMatrix.name == parsed.name, RiskMatrix.version == parsed.version)
        )
        matrix = risk.store_matrix(definition)
    except riskmatrix.MatrixInvalid as invalid:
        db.session.rollback()
        problems = "\n".join(f"  - {problem}" for problem in invalid.problems)
        count = len(invalid.problems)
        raise click.ClickException(
            f"{path} cannot be loaded ({count} {'problem' if count == 1 else 'problems'}); nothing was changed:\n{problems}"
        ) from None
    if loaded_before is not None:
        click.echo(f"{matrix.title} is already loaded with the same content; nothing was changed.")
        return
    db.session.commit()
    click.echo(f"Loaded {matrix.title}. New assessments use it from now on.")


@casework.group("premises")
def premises_group() -> None:
    """Licensed premises."""


# A file with at least this many rows shows progress bars while it is checked and loaded.
PROGRESS_FROM_ROWS = 500


@premises_group.command("import")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_premises(path: Path) -> None:
    """Load licensed premises from a CSV file (the format is in README.md).

    Every row is checked first; if any is bad, each is reported with its line number
    and nothing is written.
    """
    from casework.premises.services import premises_import

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not a text file in UTF-8; save it as CSV UTF-8") from None

    def tracked(label: str, items: list[T]) -> AbstractContextManager[Iterable[T]]:
        if len(items) < PROGRESS_FROM_ROWS:
            return contextlib.nullcontext(items)
        return click.progressbar(items, label=label, file=sys.stderr)

    try:
        rows = premises_import.read(text)
        with tracked("Checking", rows) as checking:
            values = premises_import.validate(rows, track=lambda _items: checking)
        with tracked("Loading", values) as loading:
            count = premises_import.insert(None, values, track=lambda _items: loading)
    except premises_import.ImportInvalid as invalid:
        db.session.rollback()
        problems = "\n".join(f"  - {problem}" for problem in invalid.problems)
        raise click.ClickException(f"{path} cannot be imported; nothing was changed:\n{problems}") from None
    db.session.commit()
    click.echo(f"Imported {count} premises. New premises start green.")


@casework.command("retention")
@click.option("--dry-run", "mode", flag_value="dry-run", help="List what would be anonymised; change nothing.")
@click.option("--apply", "mode", flag_value="apply", help="Anonymise what is past its retention period.")
@with_appcontext
def retention_command(mode: str | None) -> None:
    """Anonymise closed cases and declined referrals past their retention period.

    Run with --dry-run first. Only ids and case references are printed, never names.
    """

    from casework.data_protection.services import retention

    if mode is None:
        raise click.UsageError("Choose --dry-run to see what would be anonymised, or --apply to anonymise it.")
    config = current_app.config
    closed_years = int(config["RETENTION_CLOSED_CASE_YEARS"])
    declined_years = int(config["RETENTION_DECLINED_REFERRAL_YEARS"])
    try:
        plan, result = retention.run_retention(
            closed_case_years=closed_years, declined_referral_years=declined_years, apply_changes=mode == "apply"
        )
    except InvalidInput as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None

    def listed(label: str, items: list[str]) -> None:
        click.echo(f"{label}: {len(items)}")
        for item in items:
            click.echo(f"  {item}")

    click.echo(
        f"Closed cases closed before {plan.closed_before:%Y-%m-%d} ({_years(closed_years)}); "
        f"declined referrals decided before {plan.declined_before:%Y-%m-%d} ({_years(declined_years)})."
    )
    listed("Cases to anonymise", [case.reference for case in plan.cases])
    listed("Cases kept under a legal hold", [case.reference for case in plan.held])
    listed(
        "Referrals to anonymise",
        [
            f"referral {referral_id}"
            for referral_id in plan.case_referrals + [referral.id for referral in plan.referrals]
        ],
    )
    listed("People to anonymise", [f"person {person_id}" for person_id in plan.people])
    if result is None:
        db.session.rollback()
        click.echo("Dry run: nothing was changed. Run with --apply to anonymise these records.")
        return
    db.session.commit()
    click.echo(f"Anonymised {result.cases} cases, {result.referrals} referrals and {result.people} people.")


def _years(count: int) -> str:
    return f"{count} year" if count == 1 else f"{count} years"


casework.add_command(notifications)
