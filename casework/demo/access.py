"""A request for access waiting in the queue, so the chair's My work and /access-requests
show one: a police officer asks to see a council-led case the police are not involved in."""

from casework.cases.services import access_requests
from casework.demo.plan import COUNCIL, POLICE
from casework.demo.shared import OFFICER, Work

REASON = "We have had three calls about this address this month and would like to see the case before the PSG."


def ask_for_access(work: Work) -> None:
    asker = work.staff[OFFICER[POLICE]]
    lead = work.agency(COUNCIL)
    for open_case in work.cases:
        case = open_case.case
        if case.lead_agency_id == lead.id and not case.restricted and asker.agency_id not in open_case.involved:
            access_requests.record_request(asker, case, reason=REASON)
            return
