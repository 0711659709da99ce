"""HTML read as a mail client shows it (inline elements join, blocks and cells separate) and
everything delivered but not shown screened as the hidden text of the HTML part."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from piigate.errors import ExtractionError
from piigate.extract import extract
from piigate.extract.html import html_to_text, render_html
from piigate.parse import parse_message
from tests.synthetic import message

NUMBER = "536-22-8167"
"""A visibly synthetic SSN-shaped number."""


@pytest.mark.parametrize(
    "markup",
    [
        "<p>SSN 536<span>-</span>22-<b>8167</b></p>",
        "<p>SSN 536-22<!-- split -->-8167</p>",
        "<p>SSN <font color=red>5</font>36&#8209;22&ndash;8167</p>",
        "<div>SSN <i>536</i><i>-22-</i><i>8167</i></div>",
    ],
)
def test_inline_markup_and_comments_do_not_split_a_number(markup: str) -> None:
    """Inline elements, comments, entities and source line breaks render as one line of text."""
    text = render_html(markup).text
    assert "SSN" in text
    assert text.replace("\u2011", "-").replace("\u2013", "-").endswith(NUMBER)


def test_blocks_and_cells_separate() -> None:
    """Paragraphs, list items and <br> start new lines; table cells stay cells of a table."""
    rendered = render_html(
        "<p>one</p><p>two<br>three</p><ul><li>four</li></ul>"
        "<table><tr><td>a<b>1</b></td><td>b</td></tr></table>"
    )
    assert rendered.text.split("\n") == ["one", "two", "three", "four"]
    assert [table.rows for table in rendered.tables] == [(("a1", "b"),)]


def _data(mime: str, text: str, b64: bool = True) -> str:
    if b64:
        return f"data:{mime};base64,{base64.b64encode(text.encode()).decode()}"
    return f"data:{mime},{quote(text)}"


@pytest.mark.parametrize(
    "markup",
    [
        f"<p>Hi</p><!-- SSN {NUMBER} -->",
        f"<html><head><title>SSN {NUMBER}</title></head><body>Hi</body></html>",
        f'<p>Hi <img src="x.png" alt="SSN {NUMBER}"></p>',
        f'<p title="SSN {NUMBER}">Hi</p>',
        f'<a href="#" aria-label="SSN {NUMBER}">Hi</a>',
        f'<p>Hi</p><div style="display: none">SSN {NUMBER}</div>',
        f'<p>Hi</p><span style="visibility:hidden">SSN {NUMBER}</span>',
        f'<p>Hi</p><span style="color:#fff;font-size:0px">SSN {NUMBER}</span>',
        f"<p>Hi</p><p hidden>SSN {NUMBER}</p>",
        f"<p>Hi</p><noscript>SSN {NUMBER}</noscript>",
        f"<p>Hi</p><template><p>SSN {NUMBER}</p></template>",
        f'<style>.x::after {{ content: "SSN {NUMBER}" }}</style><p class="x">Hi</p>',
        '<style>.x::after { content: "SSN \\35 36-22-8167" }</style><p class="x">Hi</p>',
        f'<p>Hi <img src="{_data("text/plain", f"SSN {NUMBER}")}"></p>',
        f'<p>Hi <a href="{_data("text/html", f"<b>SSN</b> {NUMBER}", b64=False)}">x</a></p>',
        f'<p>Hi <img src="{_data("image/svg+xml", f"<svg><text>SSN {NUMBER}</text></svg>")}"></p>',
        f"<style>.fine {{ display:none }}</style><p>Hi</p><p class='x fine'>SSN {NUMBER}</p>",
        f"<style>#a span, .b {{ visibility: hidden }}</style><p>Hi</p><div id=a><span>SSN"
        f" {NUMBER}</span></div>",
        f"<style>p {{ color: red }} td.k {{font-size:0}}</style><p>Hi</p><table><tr>"
        f"<td class=k>SSN {NUMBER}</td></tr></table>",
    ],
)
def test_hidden_text_is_kept_apart_from_the_shown_text(markup: str) -> None:
    """Comments, title, alt/title/aria-label, elements hidden by inline CSS or by a style
    sheet's class/id rule, noscript, template, CSS content strings and text inside data: URIs
    are hidden text, not shown text."""
    rendered = render_html(markup)
    assert NUMBER not in rendered.text
    assert f"SSN {NUMBER}" in rendered.hidden


def test_script_is_neither_shown_nor_hidden_text() -> None:
    """A script is code, not text a recipient reads: it stays out of both."""
    rendered = render_html(f"<p>Hi</p><script>var n = '{NUMBER}';</script>")
    assert NUMBER not in rendered.text and NUMBER not in rendered.hidden


def test_html_to_text_keeps_everything_for_single_text_readers() -> None:
    """Readers that keep one text per part (Outlook, TNEF bodies) get the hidden text too."""
    assert NUMBER in html_to_text(f"<p>Hi</p><!-- SSN {NUMBER} -->")


def test_hidden_text_of_a_body_is_its_own_segment() -> None:
    """The walker screens an HTML body's hidden text as 'body (hidden text of the HTML)'."""
    raw = message(body="Hi", html=f"<p>Hello</p><!-- SSN {NUMBER} -->")
    segments = extract(parse_message(raw)).segments
    hidden = [s for s in segments if s.where == "body (hidden text of the HTML)"]
    assert len(hidden) == 1 and NUMBER in hidden[0].text


@pytest.mark.parametrize(
    ("markup", "shown"),
    [
        ("", ""),
        ("   ", ""),
        ("<!-- a comment -->", ""),
        ("<?xml version='1.0' encoding='utf-8'?><p>x</p>", "x"),
    ],
)
def test_empty_or_odd_documents_render(markup: str, shown: str) -> None:
    """Empty markup, whitespace, a lone comment and an XML declaration in a str all render."""
    assert render_html(markup).text == shown


def test_text_after_a_nested_table_stays_in_its_cell() -> None:
    """A table inside a cell: the inner table is its own table, and the outer cell keeps the
    text on both sides of it."""
    rendered = render_html(
        "<table><tr><td>before<table><tr><td>inner</td></tr></table>after</td>"
        "<td>next</td></tr></table>"
    )
    assert [t.rows for t in rendered.tables] == [(("inner",),), (("before after", "next"),)]
    assert rendered.text == ""


def test_cells_of_a_hidden_table_stay_apart() -> None:
    """Cells of a hidden table are separate lines of hidden text, not one joined number."""
    rendered = render_html('<div style="display:none"><table><tr><td>536</td><td>22</td></tr>')
    assert rendered.hidden.split("\n") == ["536", "22"]


@pytest.mark.parametrize("markup", ["<p>SSN 536-22\x00-8167</p>", "<p>SSN \udc80536-22-8167</p>"])
def test_nul_and_lone_surrogates_do_not_cut_the_text(markup: str) -> None:
    """A NUL (dropped, as browsers drop it) or a lone surrogate does not stop the parser."""
    assert "536-22-8167" in render_html(markup).text


def test_markup_nested_too_deeply_is_unreadable_not_empty() -> None:
    """Past libxml2's depth limit the rest of the document would be lost: unreadable."""
    with pytest.raises(ExtractionError):
        render_html("<div>" * 5000 + f"SSN {NUMBER}" + "</div>" * 5000)


def test_markup_inside_a_comment_is_rendered_as_hidden_text() -> None:
    """An Outlook conditional comment holding markup: a number split by its tags is one."""
    markup = (
        "<p>Hi</p><!--[if mso]><table><tr><td>SSN <span>536</span>-22-8167</td></tr>"
        "</table><![endif]-->"
    )
    assert f"SSN {NUMBER}" in render_html(markup).hidden


@pytest.mark.parametrize(
    "sheet",
    [
        "@media only screen and (max-width: 600px) { .desktop { display: none } }",
        ".desktop:hover { display: none }",
        ".desktop { color: #333; display: block }",
        ".desktop { display: none",  # unterminated: tinycss2 still reads it as a hiding rule
    ],
)
def test_style_sheets_hide_only_what_a_desktop_client_hides(sheet: str) -> None:
    """Rules inside @media blocks and selectors cssselect cannot evaluate hide nothing; a rule
    that does not hide leaves the text shown (an unterminated block still counts)."""
    rendered = render_html(f"<style>{sheet}</style><p class='desktop'>SSN {NUMBER}</p>")
    hidden_expected = sheet.endswith("display: none")
    assert (f"SSN {NUMBER}" in rendered.hidden) is hidden_expected
    assert (NUMBER in rendered.text) is not hidden_expected


def test_a_disclaimer_hidden_by_a_class_rule_is_not_shown() -> None:
    """The third-agency disclaimer hidden by a style sheet is hidden text, so the rule that
    asks for a shown disclaimer does not count it."""
    markup = (
        "<style>.legal{display:none}</style><p>Hi</p>"
        "<p class='legal'>This information is provided for official use only.</p>"
    )
    rendered = render_html(markup)
    assert "official use" not in rendered.text and "official use" in rendered.hidden
