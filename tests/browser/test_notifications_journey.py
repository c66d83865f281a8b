"""Told in time, in a real browser and a real mailbox (an SMTP server on loopback): a PSG
member grades a victim high; when the case conference is four hours from due, the
scheduler and the sender put the reminder in the lead officer's mailbox. The member asks
for access to a case their agency is not on, the manager grants it from the queue, and
the member is told, by e-mail and in the app."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.cases.models import Case, CaseAgency
from casework.notifications import sender
from casework.notifications.backends import SmtpBackend
from casework.notifications.services import schedule
from casework.people.models import Person
from casework.victims.models import ClockKind, SlaClock
from tests.browser.conftest import MEMBER, Browsing, LiveServer
from tests.support.browser_steps import open_a_victim_case_and_grade_the_victim_high
from tests.support.mail import Mailbox, smtp_server, smtp_settings

pytestmark = pytest.mark.browser

MANAGER = "manager@demo.test"
MEMBERS_AGENCY = "Roddons Housing Association"  # so the member is the case's lead officer


def run_the_scheduler_and_the_sender(mailbox: Mailbox, live: LiveServer, *, at=None) -> None:
    """What cron runs: `notifications schedule` (at the instant given) and `notifications send`."""
    try:
        if at is not None:
            schedule.run(at, schedule.ScheduleSettings())
            db.session.commit()
        backend = SmtpBackend(smtp_settings(mailbox, base_url=live.url))
        sender.send_pending(
            backend, sender.Settings(base_url=live.url), limit=100_000, batch_size=200, after_batch=db.session.commit
        )
    finally:
        db.session.remove()


def conference_due_at(first_name: str):
    try:
        person = select(Person.id).where(Person.first_name == first_name).scalar_subquery()
        query = select(SlaClock.due_at).where(SlaClock.person_id == person, SlaClock.kind == ClockKind.CONFERENCE_72H)
        return db.session.scalars(query).one()
    finally:
        db.session.remove()


def a_case_the_members_agency_is_not_on() -> str:
    try:
        agency = select(User.agency_id).where(User.email == MEMBER).scalar_subquery()
        involved = select(CaseAgency.case_id).where(CaseAgency.agency_id == agency)
        query = select(Case.reference).where(Case.id.not_in(involved), Case.restricted.is_(False))
        return db.session.scalars(query.order_by(Case.id.desc())).first()  # type: ignore[return-value]
    finally:
        db.session.remove()


def mail_to(mailbox: Mailbox, address: str, subject: str) -> list[str]:
    return [item.text for item in mailbox.received if address in item.recipients and item.message["Subject"] == subject]


def test_the_lead_officer_is_reminded_and_the_asker_is_told(browsing: Browsing, live_server: LiveServer) -> None:
    with smtp_server() as mailbox:
        member = browsing.page(as_user=MEMBER)
        reference = open_a_victim_case_and_grade_the_victim_high(
            member, "Stones at the windows, Tydd Lane", "Ottilie", "Fairbrother", lead_agency=MEMBERS_AGENCY
        )
        due = conference_due_at("Ottilie")

        # Nothing is due yet; three hours and fifty-nine minutes before the 72 hours run
        # out, the scheduler writes the four-hour reminder and the sender delivers it.
        run_the_scheduler_and_the_sender(mailbox, live_server)
        assert not [text for text in mail_to(mailbox, MEMBER, "A victim's SLA clock is due soon") if reference in text]
        run_the_scheduler_and_the_sender(mailbox, live_server, at=due - timedelta(hours=3, minutes=59))
        [reminder] = [t for t in mail_to(mailbox, MEMBER, "A victim's SLA clock is due soon") if reference in t]
        assert f"Reference: {reference}" in reminder and f"{live_server.url}/cases/{reference}" in reminder
        assert "Ottilie" not in reminder and "Fairbrother" not in reminder

        # The member asks for access to a case their agency is not on.
        other = a_case_the_members_agency_is_not_on()
        member.goto(f"/cases/{other}")
        member.get_by_role("link", name="Ask for access").click()
        member.get_by_label("Why does your agency need to see this case?").fill("The family are our tenants.")
        member.get_by_role("button", name="Ask for access").click()
        expect(member.get_by_text("Your request for access has been recorded.")).to_be_visible()

        # The manager is told, and grants it from the queue in one click.
        run_the_scheduler_and_the_sender(mailbox, live_server)
        assert mail_to(mailbox, MANAGER, "Someone has asked for access to a case")
        manager = browsing.page(as_user=MANAGER)
        manager.goto("/access-requests")
        manager.get_by_role("button", name=f"Grant access to {other}").click()
        expect(manager.get_by_text(other).first).to_be_visible()

        # The member is told by e-mail and in the app, and now sees the case in full.
        run_the_scheduler_and_the_sender(mailbox, live_server)
        [decided] = mail_to(mailbox, MEMBER, "Your request for access to a case has been decided")
        assert f"{live_server.url}/cases/{other}" in decided
        member.goto("/notifications")
        expect(member.get_by_text("Your request for access to a case has been decided").first).to_be_visible()
        member.goto(f"/cases/{other}")
        expect(member.get_by_role("link", name="Ask for access")).to_have_count(0)
        assert browsing.problems == []
