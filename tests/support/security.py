"""What every response must carry: the security headers and a script nonce per page."""

import re

from werkzeug.test import TestResponse


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_security_headers(response: TestResponse) -> None:
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(re.search(r"max-age=(\d+)", response.headers["Strict-Transport-Security"]).group(1)) >= 31536000
    assert response.headers["Cache-Control"] == "no-store"


def csp_nonce(response: TestResponse) -> str:
    """The response's script nonce: one, long enough to be unguessable."""
    nonces = [
        value[len("'nonce-") : -1] for value in csp_directives(response)["script-src"] if value.startswith("'nonce-")
    ]
    assert len(nonces) == 1 and len(nonces[0]) >= 16
    return nonces[0]


def assert_script_nonces_match(response: TestResponse, *, has_scripts: bool = True) -> str:
    nonce = csp_nonce(response)
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts or not has_scripts, "the page has scripts"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag, tag
    return nonce
