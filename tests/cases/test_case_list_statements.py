"""The case list keeps the statements it builds, per user and filter: a repeated page
only executes them, and a user never gets a statement built for someone the policy
reads differently."""

import pytest

from casework.cases.services import pages
from casework.cases.services.pages import CaseFilter
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.both_databases


@pytest.fixture
def two_agencies(session):
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    make_case(lead_agency=council, involved=[council], town="March", reference="ASB-2026-00001")
    make_case(lead_agency=police, involved=[police], town="Wisbech", reference="ASB-2026-00002")
    return {"council": council, "police": police}


def references(actor, criteria: CaseFilter | None = None) -> list[str]:
    return [row.case.reference for row in pages.list_cases(actor, criteria or CaseFilter(), per_page=10).items]


def test_a_repeated_page_builds_no_statement(two_agencies, monkeypatch):
    monkeypatch.setattr(pages, "_BUILT", {})  # what earlier tests left is kept too
    member = make_user(agency=two_agencies["council"])
    references(member)
    pages.known_towns(member)
    built = []
    for name in ("visible_cases", "full_view_clause"):
        original = getattr(pages, name)
        monkeypatch.setattr(
            pages,
            name,
            lambda *args, _original=original, _name=name, **kw: built.append(_name) or _original(*args, **kw),
        )
    assert references(member) == ["ASB-2026-00001"]
    assert pages.known_towns(member) == ["March"]
    assert built == []
    # Another filter, or the next page, is a statement of its own.
    assert references(member, CaseFilter(town="Wisbech")) == []
    assert built


def test_each_user_gets_statements_for_what_the_policy_reads_of_them(two_agencies):
    council, police = two_agencies["council"], two_agencies["police"]
    member, officer = make_user(agency=council), make_user(agency=police)
    assert (references(member), references(officer)) == (["ASB-2026-00001"], ["ASB-2026-00002"])
    assert (pages.known_towns(member), pages.known_towns(officer)) == (["March"], ["Wisbech"])
    # The same user after moving agency, and after a change of role.
    member.agency_id = police.id
    assert references(member) == ["ASB-2026-00002"]
    assert pages.known_towns(member) == ["Wisbech"]
    member.role = Role.MANAGER  # reads every case
    assert references(member) == ["ASB-2026-00002", "ASB-2026-00001"]
