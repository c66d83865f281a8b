"""Fixtures shared by the delivery plan tests."""

import pytest

from tests.factories import make_priority


@pytest.fixture
def priority(session):
    return make_priority(number=1, title="Prevention, awareness and education")
