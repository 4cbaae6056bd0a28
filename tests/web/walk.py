"""What the walk through every page checks on each page, in real Chromium: axe-core's WCAG 2.1
A and AA rules, no horizontal scrolling at 320 px (WCAG 1.4.10), no request refused by the
content security policy, and, in French, no English interface word left on the screen.

Each check returns a list of problems (strings) instead of failing at once, so one run of the
walk names every page that needs work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__walk__/axe.min.js"  # served to the page by the test, from this site's origin
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDE, NARROW, HEIGHT = 1280, 320, 900

# Interface words that must not be left in English on a French page (whole words, as written).
ENGLISH_WORDS = (
    "Sign out",
    "Sign in",
    "Queue",
    "Reports",
    "Report",
    "Self-check",
    "Decision",
    "Escalations",
    "Audit log",
    "My flags",
    "Users",
    "Password",
    "Email",
    "Search",
    "Claim",
    "Download",
    "Keyboard shortcuts",
    "Back to",
    "Show",
    "Model cards",
    "Page not found",
    "Not Found",
    "Error",
    "Category",
    "category",
    "Status",
    "Risk",
    "threshold",
    "Submit",
    "Save",
    "Cancel",
    "Release",
    "Skip to",
    "What it",
    "Previous",
    "Next",
    "Created",
    "Role",
)
_ENGLISH = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ENGLISH_WORDS)) + r")(?![\w-])")

# every design-system component on the page defined and drawn (Stencil's componentOnReady);
# the ones not marked drawn (Stencil's "hydrated" class) are returned
SETTLE = """async () => {
  const hosts = [];
  const visit = (root) => root.querySelectorAll('*').forEach((el) => {
    if (el.localName.startsWith('gcds-')) hosts.push(el);
    if (el.shadowRoot) visit(el.shadowRoot);
  });
  visit(document);
  const drawn = Promise.all(hosts.map(async (el) => {
    await customElements.whenDefined(el.localName);
    if (el.componentOnReady) await el.componentOnReady();
  }));
  const late = new Promise((resolve, reject) => setTimeout(
    () => reject(new Error('design-system components not drawn within 10 s')), 10000));
  await Promise.race([drawn, late]);
  return hosts.filter((el) => !el.classList.contains('hydrated')).map((el) => el.localName);
}"""

# the visible text, shadow roots included (what a reader sees), with the language it is
# marked in: text inside an element whose lang is another language is content, not interface
VISIBLE_TEXT = """() => {
  const out = [];
  const walk = (node, lang) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const parent = node.parentElement;
      const text = node.textContent.trim();
      if (text && parent && parent.checkVisibility({visibilityProperty: true, checkVisibilityCSS: true})) {
        out.push([lang, text]);
      }
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) {
      return;
    }
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT'].includes(node.tagName)) return;
      if (node.hasAttribute('lang')) lang = node.getAttribute('lang') || lang;
      if (node.tagName === 'SLOT') {
        node.assignedNodes({flatten: true}).forEach((n) => walk(n, lang));
        return;
      }
      if (node.shadowRoot) {
        walk(node.shadowRoot, lang);
        return;
      }
    }
    node.childNodes.forEach((n) => walk(n, lang));
  };
  walk(document.body, document.documentElement.lang);
  out.push([document.documentElement.lang, document.title]);
  return out;
}"""


def english_left(texts: list[list[str]]) -> list[str]:
    """The English interface words found in French text."""
    found = []
    for lang, text in texts:
        if not (lang or "").startswith("fr"):
            continue
        found += [match.group(1) for match in _ENGLISH.finditer(text)]
    return sorted(set(found))


@dataclass
class Walk:
    """One browser page walking the app; ``check`` records what each page state shows."""

    page: Any
    base: str
    lang: str = "en"
    shots: Path | None = None  # where to save a screenshot of each page at each width
    problems: list[str] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        assert AXE.is_file(), f"{AXE} is missing: run `make install` (it runs npm ci)"
        self.page.set_viewport_size({"width": WIDE, "height": HEIGHT})
        self.page.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=str(AXE)))
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.refused.append(message.text[:200])

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")

    def settle(self) -> list[str]:
        """Wait for the page and its components; the components left undrawn."""
        self.page.wait_for_load_state("load")
        return self.page.evaluate(SETTLE)

    def axe(self) -> list[dict[str, Any]]:
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.add_script_tag(url=f"{self.base}{AXE_PATH}")
        return self.page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {
                    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
                });
                return result.violations.map((v) => ({
                    id: v.id, impact: v.impact,
                    nodes: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)),
                }));
            }""",
            WCAG_TAGS,
        )

    def check(self, name: str) -> None:
        """The page as it is now, at 1280 px and at 320 px wide."""
        undrawn = self.settle()
        here = f"{name} [{self.lang}]"
        if undrawn:
            self.problems.append(f"{here}: design-system components not drawn: {undrawn}")
        measure: dict[str, Any] = {"page": name, "lang": self.lang}
        refused = list(self.refused)  # while the page loaded, before axe runs
        html_lang = self.page.evaluate("() => document.documentElement.lang")
        if html_lang != self.lang:
            self.problems.append(f'{here}: <html lang="{html_lang}">, not {self.lang}')
        for width in (WIDE, NARROW):
            self.page.set_viewport_size({"width": width, "height": HEIGHT})
            self.settle()
            violations = self.axe()
            measure[f"axe_{width}"] = [v["id"] for v in violations]
            for v in violations:
                self.problems.append(
                    f"{here} at {width}px: axe {v['id']} ({v['impact']}) {v['nodes']}"
                )
            scroll = self.page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            measure[f"scroll_{width}"] = scroll[0]
            if self.shots:
                shot = re.sub(r"[^\w.-]+", "_", f"{name}-{self.lang}-{width}").strip("_")
                self.page.screenshot(path=str(self.shots / f"{shot}.png"), full_page=True)
            if scroll[0] > scroll[1]:
                self.problems.append(f"{here} at {width}px: scrolls sideways ({scroll[0]}px wide)")
        self.page.set_viewport_size({"width": WIDE, "height": HEIGHT})
        if self.lang == "fr":
            words = english_left(self.page.evaluate(VISIBLE_TEXT))
            measure["english"] = words
            if words:
                self.problems.append(f"{here}: English left on a French page: {words}")
        if refused:
            measure["csp"] = refused
            self.problems.append(f"{here}: refused by the content security policy: {refused}")
        self.refused.clear()
        self.measures.append(measure)
