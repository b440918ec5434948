"""axe-core (vendored under vendor/axe-core, from the npm registry) run inside a page."""

from pathlib import Path

from playwright.sync_api import Page

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
# WCAG 2.0 and 2.1, levels A and AA: contrast, labels, names, landmarks, language.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page) -> list[str]:
    """What axe finds against WCAG 2 AA on the page as it is now, one line per rule and element.

    The script is evaluated through the DevTools protocol, which the page's CSP does not govern,
    so the page keeps its strict policy (no test-only 'unsafe-inline')."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_AA
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — {node['target']} {node['failureSummary']}"
        for violation in result["violations"]
        for node in violation["nodes"][:5]
    ]
