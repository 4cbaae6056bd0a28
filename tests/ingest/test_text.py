"""HTML to plain text: what reviewers read and the classifier scores, with no Markdown."""

from __future__ import annotations

import pytest

from pipeline.ingest.sources.text import html_to_text


def test_paragraphs_are_separated_by_a_blank_line_and_br_is_a_line_break():
    assert html_to_text("<p>First.</p><p>Second<br>line two</p>") == "First.\n\nSecond\nline two"


def test_lists_start_each_item_with_a_dash_or_its_number():
    html = "<ul><li>Apples</li><li>Pears</li></ul><ol><li>Vote</li><li>Share</li></ol>"

    assert html_to_text(html) == "- Apples\n- Pears\n1. Vote\n2. Share"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "<p>1. Not a list - and a dash * star _under_</p>",
            "1. Not a list - and a dash * star _under_",
        ),
        ("<h2>Announcement</h2><p>Body</p>", "Announcement\n\nBody"),
        ("<blockquote><p>Quoted words</p></blockquote>", "Quoted words"),
        ("<p><strong>Bold</strong> and <em>emphasis</em></p>", "Bold and emphasis"),
        ("<p>Line with trailing spaces   <br>next</p>", "Line with trailing spaces\nnext"),
    ],
)
def test_no_markdown_syntax_is_added(html, text):
    assert html_to_text(html) == text


def test_entities_are_decoded_and_scripts_and_styles_dropped():
    html = "<style>p{color:red}</style><script>alert(1)</script><p>R&amp;D &eacute;t&eacute; &lt;b&gt;</p>"

    assert html_to_text(html) == "R&D été <b>"


def test_mastodon_link_parts_hidden_by_css_read_as_one_url():
    html = (
        '<p>See <a href="https://example.com/long/path"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/long</span><span class="invisible">/path</span></a></p>'
    )

    assert html_to_text(html) == "See https://example.com/long/path"


@pytest.mark.parametrize("html", ["", "   ", "<!-- only a comment -->"])
def test_empty_html_is_empty_text(html):
    assert html_to_text(html) == ""
