"""The case forms as a user fills them in."""

from casework.cases.models import Case


def open_form(**changes: object) -> dict[str, object]:
    form = {
        "case_type": "victim",
        "title": "Youths gathering on the green",
        "summary": "Reported by three residents.",
        "lead_agency_id": "",
        "district": "Fenland",
        "town": "Whittlesey",
        "ward": "Bassenhally",
    }
    form.update(changes)
    return form


def edit_form(case: Case, **changes: object) -> dict[str, object]:
    form = {
        "version": case.version,
        "case_type": case.case_type.value,
        "title": case.title,
        "summary": case.summary,
        "district": case.district,
        "town": case.town,
        "ward": case.ward,
        "lead_officer_id": case.lead_officer_id or "",
    }
    if case.restricted:
        form["restricted"] = "y"
    form.update(changes)
    return form
