"""The service navigation: one link for the administrators' pages, which link each other."""

import re

import pytest

from casework.permissions import Role
from tests.factories import make_user

LINK = re.compile(r'<a class="govuk-service-navigation__link" href="([^"]+)"[^>]*>\s*(?:<strong[^>]*>)?([^<]+?)\s*<')
SUB_LINK = re.compile(r'<a class="moj-sub-navigation__link" href="([^"]+)"( aria-current="page")?>([^<]+)</a>')


def navigation(html: str) -> list[tuple[str, str]]:
    """(text, href) of each link in the service navigation, the service name first."""
    return [(text, href) for href, text in LINK.findall(html)]


def test_an_administrator_has_one_admin_link_to_the_users(client_as) -> None:
    links = navigation(client_as(make_user(role=Role.ADMIN)).get("/").text)
    assert ("Admin", "/admin/users") in links
    assert not {"Users", "Agencies", "Audit log", "Notifications"} & {text for text, _ in links}


@pytest.mark.parametrize("path", ["/admin/users", "/admin/agencies", "/admin/audit", "/admin/notifications"])
def test_each_admin_page_links_the_others_and_marks_itself(client_as, path) -> None:
    html = client_as(make_user(role=Role.ADMIN)).get(path).text
    assert [(href, text) for href, _, text in SUB_LINK.findall(html)] == [
        ("/admin/users", "Users"),
        ("/admin/agencies", "Agencies"),
        ("/admin/audit", "Audit log"),
        ("/admin/notifications", "Notifications"),
    ]
    assert [href for href, current, _ in SUB_LINK.findall(html) if current] == [path]
    assert '<strong class="govuk-service-navigation__active-fallback">Admin</strong>' in html


def test_a_manager_who_may_open_only_the_audit_log_sees_its_name(client_as) -> None:
    manager = client_as(make_user(role=Role.MANAGER))
    links = navigation(manager.get("/").text)
    assert ("Audit log", "/admin/audit") in links
    assert "Admin" not in {text for text, _ in links}
    assert "moj-sub-navigation" not in manager.get("/admin/audit").text


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER, Role.ANALYST])
def test_others_have_no_admin_link(client_as, role) -> None:
    texts = {text for text, _ in navigation(client_as(make_user(role=role)).get("/").text)}
    assert not {"Admin", "Users", "Agencies", "Audit log"} & texts
