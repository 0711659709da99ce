"""Which elements of an HTML document its style sheets hide.

A ``<style>`` sheet can hide an element by class, id or any other selector as surely as an
inline ``style`` can (``.x {display:none}`` … ``<span class="x">``). tinycss2 parses each
sheet; every top-level rule whose declarations hide (the same declarations as an inline style:
``display:none``, ``visibility:hidden``, ``font-size:0``, ``opacity:0``) has its selectors
matched against the tree by cssselect (through ``lxml.cssselect``), and the elements matched
are hidden: their text is screened as hidden text of the HTML, and a disclaimer there does not
count as shown.

Rules inside ``@media`` blocks are not applied (a newsletter hides its desktop layout on
phones; what the gate names as shown is what a desktop client shows); selectors cssselect
cannot evaluate (``:hover``, ``::before`` …) are skipped. A later rule that shows the element
again is not weighed: the text is screened either way, only its place is named "hidden".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import lxml.html
import tinycss2
from cssselect import ExpressionError, SelectorError
from lxml.cssselect import CSSSelector

__all__ = ["HIDING_STYLE", "hidden_by_style_sheets"]

HIDING_STYLE = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)"
    r"|font-size\s*:\s*0(?:\.0*)?(?:px|pt|em|rem|%)?\s*(?:!important)?\s*(?:;|$)"
    r"|opacity\s*:\s*0(?:\.0*)?\s*(?:!important)?\s*(?:;|$))",
    re.I,
)
"""A declaration list (an inline ``style``, or a rule's block) that hides its element."""

_MAX_RULES = 2000
"""Hiding rules read per document: a sheet of a million rules costs a bounded walk."""


def hidden_by_style_sheets(root: lxml.html.HtmlElement) -> frozenset[lxml.html.HtmlElement]:
    """The elements the document's ``<style>`` sheets hide (their descendants are hidden with
    them by the walk). Empty when there is no sheet or no sheet hides anything."""
    sheets = [node.text for node in root.iter("style") if node.text]
    if not sheets:
        return frozenset()
    hidden: set[lxml.html.HtmlElement] = set()
    for selector in _hiding_selectors(sheets):
        try:
            matcher = CSSSelector(selector, translator="html")
        except (SelectorError, ExpressionError):
            continue
        found = matcher(root)
        if isinstance(found, list):
            hidden.update(node for node in found if isinstance(node, lxml.html.HtmlElement))
    return frozenset(hidden)


def _hiding_selectors(sheets: Iterable[str]) -> Iterator[str]:
    count = 0
    for sheet in sheets:
        for rule in tinycss2.parse_stylesheet(sheet, skip_comments=True, skip_whitespace=True):
            if rule.type != "qualified-rule":
                continue
            declarations = tinycss2.serialize(rule.content).strip()
            if not HIDING_STYLE.search(declarations):
                continue
            selector = tinycss2.serialize(rule.prelude).strip()
            if selector:
                yield selector
                count += 1
                if count >= _MAX_RULES:
                    return
