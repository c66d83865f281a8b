"""Demo licensed premises: fictional names in the towns and pub clusters of the source
reports, in every colour, with incidents from several agencies, visits and a hearing.

Never real pubs: the source reports name real premises, and a demo must not show a
real business as red.
"""

import csv
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.clock import local_date
from casework.demo.past import recorded_at
from casework.premises.models import (
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    Premises,
    PremisesKind,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.premises.services import premises as premises_service
from casework.premises.services import premises_import

G, A, R = TlsStatus.GREEN, TlsStatus.AMBER, TlsStatus.RED
ON, OFF, BOTH, LATE = PremisesKind.ON_SALES, PremisesKind.OFF_SALES, PremisesKind.BOTH, PremisesKind.LATE_NIGHT

# (name, kind, town, cluster, colour, days in that colour, Thumbs Up, SIRCS member)
PREMISES = [
    ("The Drowned Eel", LATE, "Wisbech", "Wisbech town centre", R, 125, False, False),  # past its deadline
    ("The Sluice Keeper", ON, "Wisbech", "Wisbech town centre", R, 20, False, True),
    ("Gaultside Tap", LATE, "March", "March Broad Street", R, 55, False, False),
    ("The Fen Tiger", ON, "Wisbech", "Wisbech town centre", A, 25, False, True),  # visit due in 3 days
    ("Merchant's Rest", BOTH, "Wisbech", "Wisbech town centre", A, 60, True, True),
    ("The Lantern Yard", ON, "March", "March Broad Street", A, 40, False, True),
    ("Quayside Wines", OFF, "Whittlesey", "Whittlesey", A, 15, False, False),
    ("The Brinkley Arms", ON, "March", "March Broad Street", A, 75, True, False),
    ("The Old Lock House", ON, "Wisbech", "Wisbech town centre", G, 400, True, True),
    ("Ferryman's Cellar", BOTH, "Wisbech", "Wisbech town centre", G, 300, True, True),
    ("The Crooked Spire", ON, "Wisbech", "Wisbech town centre", G, 220, False, True),
    ("Nene Bridge Bar", LATE, "March", "March Broad Street", G, 500, True, True),
    ("The Whistling Reed", ON, "March", "March Broad Street", G, 180, True, False),
    ("Marshland Social", ON, "March", "March Broad Street", G, 365, False, False),
    ("Corner Stores Whittlesey", OFF, "Whittlesey", "Whittlesey", G, 260, False, False),
    ("Bassenhally Off Licence", OFF, "Whittlesey", "Whittlesey", G, 410, True, False),
    ("Straw Bear Spirits", OFF, "Whittlesey", "Whittlesey", G, 150, False, False),
    ("Wenny Road Convenience", OFF, "Chatteris", "Chatteris", G, 330, False, False),
    ("High Street Wines", OFF, "Chatteris", "Chatteris", G, 270, True, False),
    ("The Fenland Lantern", ON, "Chatteris", "Chatteris", G, 600, True, True),
]

STREETS = ["Market Place", "High Street", "Broad Street", "Church Lane", "Station Road", "Quay Walk"]

# The register was imported this long before the demo's now: every premises starts green.
REGISTER_AGE = timedelta(days=800)


@dataclass
class _Recorder:
    """The licensing officer recording what happened to one premises, each event
    through the service at the time it happened (recorded within the hour)."""

    officer: User
    premises: Premises
    rng: random.Random
    now: datetime

    def _at(self, moment: datetime) -> datetime:
        return min(moment + timedelta(minutes=self.rng.randint(10, 50)), self.now)

    def incident(
        self, agency: Agency, source: IncidentSource, category: IncidentCategory, days_ago: int, text: str
    ) -> None:
        occurred = self.now - timedelta(days=days_ago, hours=self.rng.randint(0, 5))
        severity = IncidentSeverity.HIGH if category is IncidentCategory.VIOLENCE else IncidentSeverity.MEDIUM
        with recorded_at(self._at(occurred)):
            premises_service.record_incident(
                self.officer, self.premises.id, occurred_at=occurred, reporting_agency_id=agency.id,
                source=source, category=category, severity=severity, description=text,
            )  # fmt: skip

    def visit(
        self, kind: VisitKind, days_ago: int, result: VisitResult = VisitResult.NOT_APPLICABLE, notes: str = ""
    ) -> None:
        visited = self.now - timedelta(days=days_ago, hours=2)
        with recorded_at(self._at(visited)):
            premises_service.record_visit(
                self.officer, self.premises.id, kind=kind, result=result, visited_at=visited, notes=notes
            )

    def move(self, to: TlsStatus, at: datetime, reason: str) -> None:
        with recorded_at(at):
            premises_service.move_status(
                self.officer, self.premises.id, version=self.premises.version, to_status=to, reason=reason
            )

    def hearing(self, days_ago: int, notes: str) -> None:
        held = self.now - timedelta(days=days_ago)
        with recorded_at(held + timedelta(hours=6)):
            premises_service.record_hearing(
                self.officer, self.premises.id, kind=HearingKind.REVIEW, held_on=local_date(held),
                outcome=HearingOutcome.CONDITIONS_ADDED, notes=notes,
            )  # fmt: skip


def _register_csv(rng: random.Random) -> str:
    """The register as the licensing team would import it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(premises_import.COLUMNS)
    supervisors = ["J. Marwood", "S. Pennock", "R. Inskip", "T. Lowick", "A. Jessop"]
    for number, (name, kind, town, cluster, _colour, _days, thumbs_up, sircs) in enumerate(PREMISES, 1):
        address = f"{rng.randint(1, 90)} {rng.choice(STREETS)}, {town}"
        postcode = f"PE{rng.choice([13, 14, 15, 16])} {rng.randint(1, 9)}XX"
        writer.writerow(
            [name, address, postcode, f"FDC/PL/{number:04d}", kind.value, town, cluster, f"{name} Ltd",
             rng.choice(supervisors), "yes" if sircs else "no", "yes" if thumbs_up else "no"]
        )  # fmt: skip
    return out.getvalue()


def load_premises(rng: random.Random, now: datetime, *, agencies: dict[str, Agency], officer: User) -> None:
    """The register, imported green long ago, then each premises' story as the licensing
    officer recorded it: so its colour, deadlines and suggestion are the services' own."""
    with recorded_at(now - REGISTER_AGE):
        premises_import.insert(officer, premises_import.validate(premises_import.read(_register_csv(rng))))
    by_name = {p.name: p for p in db.session.scalars(select(Premises))}
    for number, (name, kind, _town, _cluster, colour, days, thumbs_up, _sircs) in enumerate(PREMISES, 1):
        record = _Recorder(officer, by_name[name], rng, now)
        since = now - timedelta(days=days, hours=rng.randint(1, 8))
        if colour is R:
            _red_story(record, agencies, days, since)
        elif colour is A:
            _amber_story(record, agencies, kind, days, since)
        elif number in (11, 16):
            # Green, but one agency has reported recently: the register suggests amber.
            category = IncidentCategory.NOISE if kind is not OFF else IncidentCategory.UNDERAGE_SALE
            record.incident(
                agencies["Fenland District Council"], IncidentSource.LICENSING, category, 12,
                "Complaint passed to the licensing team.",
            )  # fmt: skip
        if colour is G and thumbs_up:
            record.visit(
                VisitKind.CHALLENGE_25_TRAINING, rng.randint(30, 200), notes="Staff completed Challenge 25 training."
            )


def _red_story(record: _Recorder, agencies: dict[str, Agency], days: int, since: datetime) -> None:
    """Incidents from two agencies in the last 90 days: the suggestion is red too."""
    police, ambulance = agencies["Cambridgeshire Constabulary"], agencies["East of England Ambulance Service"]
    record.visit(VisitKind.COMPLIANCE, days + 40, notes="Door staff numbers below the licence condition.")
    record.move(A, since - timedelta(days=70), "Repeated disorder reported by the police.")
    record.move(R, since, "Violence reported by two agencies and no improvement after the action plan.")
    record.incident(
        police, IncidentSource.POLICE, IncidentCategory.VIOLENCE, min(days, 80) // 2 + 3,
        "Assault outside at closing time; one arrest.",
    )  # fmt: skip
    record.incident(
        ambulance, IncidentSource.AMBULANCE, IncidentCategory.VIOLENCE, min(days, 80) // 3 + 2,
        "Ambulance called to an injured customer.",
    )  # fmt: skip
    record.incident(
        police, IncidentSource.CCTV, IncidentCategory.DISORDER, 6, "Large group fighting in the street, seen on CCTV."
    )
    if days > 92:
        record.hearing(9, "Review brought by the police. Conditions added: door staff from 9pm, CCTV retained 31 days.")


def _amber_story(
    record: _Recorder, agencies: dict[str, Agency], kind: PremisesKind, days: int, since: datetime
) -> None:
    police = agencies["Cambridgeshire Constabulary"]
    record.move(A, since, "Incidents reported by the police; action plan agreed with the licence holder.")
    record.incident(
        police, IncidentSource.POLICE, IncidentCategory.DISORDER, min(days, 85) // 2 + 1,
        "Disorder inside; staff asked for police help.",
    )  # fmt: skip
    if days > 28:
        record.visit(
            VisitKind.COMPLIANCE, days - 12, notes="Action plan reviewed with the designated premises supervisor."
        )
    if kind is OFF:
        record.visit(
            VisitKind.TEST_PURCHASE, 5, VisitResult.FAIL,
            "Sold alcohol to a 16-year-old test purchaser; Challenge 25 not applied.",
        )  # fmt: skip
