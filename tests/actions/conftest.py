"""Fixtures shared by the actions tests."""

import pytest

from tests.factories import make_case, make_user


@pytest.fixture
def member(council):
    return make_user(agency=council, name="Sam Officer")


@pytest.fixture
def case(council, police, member):
    return make_case(lead_agency=council, opened_by=member, involved=[police])
