"""Demo licensed premises: fictional names in the towns and pub clusters of the source
reports, in every colour, with incidents from several agencies, visits and a hearing.

Never real pubs: the source reports name real premises, and a demo must not show a
real business as red.
"""

import random
from datetime import datetime, timedelta

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.premises.models import (
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    LicensingHearing,
    Premises,
    PremisesIncident,
    PremisesKind,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.premises.services.premises import refresh_incident_summary

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


def load_premises(rng: random.Random, now: datetime, *, agencies: dict[str, Agency], officer: User) -> None:
    police = agencies["Cambridgeshire Constabulary"]
    ambulance = agencies["East of England Ambulance Service"]
    council = agencies["Fenland District Council"]

    for number, (name, kind, town, cluster, colour, days, thumbs_up, sircs) in enumerate(PREMISES, 1):
        since = now - timedelta(days=days, hours=rng.randint(1, 8))
        premises = Premises(
            name=name,
            address=f"{rng.randint(1, 90)} {rng.choice(STREETS)}, {town}",
            postcode=f"PE{rng.choice([13, 14, 15, 16])} {rng.randint(1, 9)}XX",
            licence_number=f"FDC/PL/{number:04d}",
            kind=kind,
            town=town,
            cluster=cluster,
            licence_holder=f"{name} Ltd",
            designated_premises_supervisor=rng.choice(
                ["J. Marwood", "S. Pennock", "R. Inskip", "T. Lowick", "A. Jessop"]
            ),
            sircs_member=sircs,
            thumbs_up=thumbs_up,
            status=colour,
            status_since=since,
            created_at=now - timedelta(days=800),
        )
        db.session.add(premises)
        db.session.flush()

        # Each helper records for this iteration's premises (bound by the default).
        def incident(
            agency: Agency,
            source: IncidentSource,
            category: IncidentCategory,
            days_ago: int,
            text: str,
            premises_id: int = premises.id,
        ) -> None:
            db.session.add(
                PremisesIncident(
                    premises_id=premises_id,
                    occurred_at=now - timedelta(days=days_ago, hours=rng.randint(0, 5)),
                    reporting_agency_id=agency.id,
                    source=source,
                    category=category,
                    severity=IncidentSeverity.HIGH
                    if category is IncidentCategory.VIOLENCE
                    else IncidentSeverity.MEDIUM,
                    description=text,
                    recorded_by_id=officer.id,
                )
            )

        def move(to: TlsStatus, from_: TlsStatus, at: datetime, reason: str, premises_id: int = premises.id) -> None:
            db.session.add(
                PremisesStatusChange(
                    premises_id=premises_id,
                    from_status=from_,
                    to_status=to,
                    reason=reason,
                    officer_id=officer.id,
                    at=at,
                )
            )

        def visit(
            kind: VisitKind,
            days_ago: int,
            result: VisitResult = VisitResult.NOT_APPLICABLE,
            notes: str = "",
            premises_id: int = premises.id,
        ) -> None:
            db.session.add(
                PremisesVisit(
                    premises_id=premises_id,
                    kind=kind,
                    result=result,
                    notes=notes,
                    officer_id=officer.id,
                    visited_at=now - timedelta(days=days_ago, hours=2),
                )
            )

        if colour is R:
            # Incidents from two agencies in the last 90 days: the suggestion is red too.
            incident(
                police,
                IncidentSource.POLICE,
                IncidentCategory.VIOLENCE,
                min(days, 80) // 2 + 3,
                "Assault outside at closing time; one arrest.",
            )
            incident(
                ambulance,
                IncidentSource.AMBULANCE,
                IncidentCategory.VIOLENCE,
                min(days, 80) // 3 + 2,
                "Ambulance called to an injured customer.",
            )
            incident(
                police,
                IncidentSource.CCTV,
                IncidentCategory.DISORDER,
                6,
                "Large group fighting in the street, seen on CCTV.",
            )
            move(A, G, since - timedelta(days=70), "Repeated disorder reported by the police.")
            move(R, A, since, "Violence reported by two agencies and no improvement after the action plan.")
            visit(VisitKind.COMPLIANCE, days + 40, notes="Door staff numbers below the licence condition.")
            if days > 92:
                db.session.add(
                    LicensingHearing(
                        premises_id=premises.id,
                        kind=HearingKind.REVIEW,
                        held_on=(now - timedelta(days=9)).date(),
                        outcome=HearingOutcome.CONDITIONS_ADDED,
                        recorded_by_id=officer.id,
                        notes="Review brought by the police. Conditions added: door staff from 9pm, CCTV retained 31 days.",
                    )
                )
        elif colour is A:
            incident(
                police,
                IncidentSource.POLICE,
                IncidentCategory.DISORDER,
                min(days, 85) // 2 + 1,
                "Disorder inside; staff asked for police help.",
            )
            move(A, G, since, "Incidents reported by the police; action plan agreed with the licence holder.")
            if days > 28:
                visit(
                    VisitKind.COMPLIANCE,
                    days - 12,
                    notes="Action plan reviewed with the designated premises supervisor.",
                )
            if kind is OFF:
                visit(
                    VisitKind.TEST_PURCHASE,
                    5,
                    VisitResult.FAIL,
                    "Sold alcohol to a 16-year-old test purchaser; Challenge 25 not applied.",
                )
        elif number in (11, 16):
            # Green, but one agency has reported recently: the register suggests amber.
            incident(
                council,
                IncidentSource.LICENSING,
                IncidentCategory.NOISE if kind is not OFF else IncidentCategory.UNDERAGE_SALE,
                12,
                "Complaint passed to the licensing team.",
            )
        if colour is G and thumbs_up:
            visit(VisitKind.CHALLENGE_25_TRAINING, rng.randint(30, 200), notes="Staff completed Challenge 25 training.")
    db.session.flush()
    refresh_incident_summary()
