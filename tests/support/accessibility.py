"""axe-core run on a page in the browser tests: no serious or critical WCAG 2.2 AA violation."""

from playwright.sync_api import Page

from tests.browser.conftest import Browsing, assert_scripts_ran

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict]:  # type: ignore[type-arg]
    page.evaluate("() => { if (!window.axe) window.caseworkLoadAxe(); }")  # AXE_LOADER, in tests/browser/conftest.py
    # resultTypes: axe still runs every rule on every element, and lists every element of a
    # violation, but keeps only one example of what passed or was inapplicable (unread here).
    return page.evaluate(  # type: ignore[no-any-return]
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(results => results.violations)",
        WCAG_TAGS,
    )


def describe(violations: list[dict]) -> str:  # type: ignore[type-arg]
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' > '.join(map(str, node['target']))}: {node['html'][:160]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page: Page, browsing: Browsing) -> None:
    page.wait_for_load_state("load")
    violations = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not violations, f"axe found on {page.url}:\n{describe(violations)}"
    assert_scripts_ran(page)
    assert browsing.problems == []
