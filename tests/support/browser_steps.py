"""Steps more than one browser journey takes, as a user takes them."""

import re

from playwright.sync_api import Page, expect

from casework.victims.services import riskmatrix
from tests.browser.conftest import assert_scripts_ran


def open_a_victim_case_and_grade_the_victim_high(
    member: Page, title: str, first_name: str, last_name: str, *, lead_agency: str = "Fenland District Council"
) -> str:
    """A PSG member opens a victim case (its lead officer if the lead agency is their own),
    adds the victim and answers the risk matrix with one critical answer. Returns the
    case's reference."""
    member.goto("/cases/new")
    member.get_by_role("group", name="Case type").get_by_label("Victim", exact=True).check()
    member.get_by_label("Title").fill(title)
    member.get_by_label("Lead agency").select_option(label=lead_agency)
    member.get_by_role("button", name="Open case").click()
    reference = member.locator(".govuk-caption-l").inner_text().strip()
    member.get_by_role("link", name="Add a new person").click()
    member.get_by_role("group", name="Role on this case").get_by_label("Victim").check()
    member.get_by_label("First name").fill(first_name)
    member.get_by_label("Last name").fill(last_name)
    member.get_by_role("button", name="Add person").click()
    expect(member.get_by_text(f"{first_name} {last_name} added as victim.")).to_be_visible()

    # Low answers everywhere except actual violence, a critical answer.
    member.get_by_role("link", name=f"Assess risk of {first_name} {last_name}").click()
    expect(member.get_by_role("button", name="Save assessment")).to_be_visible()
    member.wait_for_load_state()
    assert_scripts_ran(member)
    matrix = riskmatrix.parse(riskmatrix.packaged_default())
    for question in matrix.questions:
        option = question.option("actual") if question.id == "violence" else question.options[0]
        member.get_by_role("group", name=question.text).get_by_label(option.label, exact=True).check()
    expect(member.get_by_text(re.compile(r"Score so far: \d+ \(high: critical answer\)"))).to_be_visible()
    member.get_by_role("button", name="Save assessment").click()
    expect(member.get_by_text(re.compile(r"Risk assessed: high \(score \d+\)"))).to_be_visible()
    return reference
