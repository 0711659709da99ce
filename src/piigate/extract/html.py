"""Reduce HTML to its visible text (Beautiful Soup does the parsing)."""

from __future__ import annotations

from bs4 import BeautifulSoup

_INVISIBLE = ("script", "style", "head", "template")


def html_to_text(markup: str) -> str:
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(_INVISIBLE):
        tag.decompose()
    return soup.get_text("\n").replace("\xa0", " ")
