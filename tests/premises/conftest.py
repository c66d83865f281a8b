"""Fixtures shared by the premises tests."""

import pytest

from casework.permissions import Role
from tests.factories import make_agency, make_user


@pytest.fixture
def officer(session):
    return make_user(role=Role.LICENSING_OFFICER, agency=make_agency(name="Fenland District Council"))
