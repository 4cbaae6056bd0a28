"""Mastodon statuses as real servers answered them (tests/fixtures/mastodon), as posts."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.fakes.mastodon_recordings import recorded_statuses
from pipeline.ingest.sources.mastodon import convert
from pipeline.ingest.sources.parts import LinkCard, Media, Quote

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon"
HOST = "https://social.example"
QUOTED_URL = "http://localhost:3000/@mastodonpy_test/116388624908215231"


def status(name: str, status_id: str, upto: int | None = None) -> dict[str, Any]:
    """The last answer for ``status_id`` in the recording ``name`` (a copy, free to change)."""
    found = [s for s in recorded_statuses(FIXTURES / name, upto) if s["id"] == status_id]
    assert found, f"{status_id} is not in {name}"
    return copy.deepcopy(found[-1])


def test_poll_options_are_part_of_the_text():
    post = convert(status("test_polls.yaml", "116388624398039375"), Counter())

    assert post is not None
    assert post.parts.poll == ["four twenty", "sixty-nine"]
    assert post.text == "nice\n\nPoll: four twenty / sixty-nine"


def test_media_descriptions_are_part_of_the_text():
    post = convert(status("test_media_post_multiple.yaml", "115045577391846422"), Counter())

    assert post is not None
    assert post.parts.media == [
        Media("image", "John Lennon doing a funny walk"),
        Media("image", "hololives #1 detective, watson ameliachan"),
    ]
    assert post.text == (
        "LOL check this out\n\nImage: John Lennon doing a funny walk\n\n"
        "Image: hololives #1 detective, watson ameliachan"
    )


def test_media_only_status_with_descriptions_is_kept():
    media_only = status("test_media_post_multiple.yaml", "115045577391846422")
    media_only["content"] = ""

    post = convert(media_only, Counter())

    assert post is not None and post.parts.body == ""
    assert post.text.startswith("Image: John Lennon doing a funny walk")


def test_media_only_status_without_descriptions_is_skipped_as_no_text():
    bare = status("test_media_post_multiple.yaml", "115045577391846422")
    bare["content"] = ""
    for attachment in bare["media_attachments"]:
        attachment["description"] = None
    skipped: Counter[str] = Counter()

    assert convert(bare, skipped) is None
    assert skipped == {"no_text": 1}


def test_link_card_keeps_its_title_and_full_url():
    post = convert(status("test_status_card.yaml", "115045728065772880"), Counter())

    assert post is not None
    assert post.parts.link == LinkCard("http://example.org/", "Example Domain", None)
    assert post.text.endswith("Link: Example Domain — http://example.org/")


def test_card_with_a_javascript_url_is_not_kept_as_a_link():
    hostile = status("test_status_card.yaml", "115045728065772880")
    hostile["card"]["url"] = "javascript:alert(document.cookie)"

    post = convert(hostile, Counter())

    assert post is not None and post.parts.link is None
    assert "javascript:" not in post.text and "Link:" not in post.text


def test_accepted_quote_carries_the_quoted_text_and_drops_the_inline_fallback():
    # the recording's second answer: the quote as first posted, accepted
    post = convert(status("test_status_quote_revoke.yaml", "116388624919028177", 2), Counter())

    assert post is not None
    assert post.parts.quote == Quote(
        text="https://www.youtube.com/watch?v=FAEKjYroiME",
        author="@mastodonpy_test",
        url=QUOTED_URL,
    )
    assert post.parts.body == "check this mother fucker out"
    assert post.text == (
        "check this mother fucker out\n\n"
        "Quoting @mastodonpy_test: https://www.youtube.com/watch?v=FAEKjYroiME"
    )


def test_a_status_quoting_its_own_author_does_not_name_them_in_the_text():
    # derived at run time: the quoted status made the quoting account's own
    recorded = status("test_status_quote_revoke.yaml", "116388624919028177", 2)
    recorded["quote"]["quoted_status"]["account"] = dict(recorded["account"])

    post = convert(recorded, Counter())

    assert post is not None and post.parts.quote.author == "themselves"
    assert "Quoting themselves: https://www.youtube.com/watch?v=FAEKjYroiME" in post.text
    assert "@" + recorded["account"]["acct"] not in post.text.split("Quoting")[1]


def test_revoked_quote_keeps_the_re_line_its_server_wrote_and_the_quoted_url():
    post = convert(status("test_status_quote_revoke.yaml", "116388624919028177"), Counter())

    assert post is not None
    assert post.parts.quote == Quote(text="", url=QUOTED_URL)
    assert post.parts.body.startswith(f"RE: {QUOTED_URL}")
    assert "check this mother fucker out" in post.parts.body
    assert "youtube" not in post.text  # the revoked quote's text is not shown


def test_old_style_re_quote_without_a_quote_object_records_the_quoted_url():
    bridged = status("test_status_quote_revoke.yaml", "116388624919028177", 2)
    del bridged["quote"]  # as servers before 4.4 and bridges send it

    post = convert(bridged, Counter())

    assert post is not None
    assert post.parts.quote == Quote(text="", url=QUOTED_URL)
    assert post.text.startswith(f"RE: {QUOTED_URL}")


def test_content_warning_is_labelled_before_the_body():
    post = convert(
        status("test_status_post_content_warning_public.yaml", "116388627091196057"), Counter()
    )

    assert post is not None
    assert post.parts.content_warning == "Content warning"
    assert post.text == "Content warning: Content warning\n\nToot!"


def test_reply_links_the_answered_post_and_keeps_the_mention_as_written():
    post = convert(status("test_status_reply.yaml", "116388625079622259"), Counter(), host=HOST)

    assert post is not None
    assert post.parts.reply_to == f"{HOST}/@mastodonpy_test_2/116388625062558681"
    assert post.text == "@mastodonpy_test_2 same!"


def test_custom_emoji_and_hashtags_stay_as_text():
    variant = status("test_status_post_content_warning_public.yaml", "116388627091196057")
    variant["content"] = (
        '<p>Toot! :blobcat: <a href="http://localhost:3000/tags/budget" class="mention hashtag"'
        ' rel="tag">#<span>budget</span></a></p>'
    )

    post = convert(variant, Counter())

    assert post is not None and post.parts.body == "Toot! :blobcat: #budget"


def test_reblogs_and_statuses_that_are_not_public_are_skipped():
    skipped: Counter[str] = Counter()
    reblog = status("test_status_reblogged_by.yaml", "116388626504107155")
    unlisted_quote = status("test_status_post_with_quote.yaml", "116388624700362456")
    private = status("test_status_reblogged_by.yaml", "116388626721974701")

    assert [convert(s, skipped) for s in (reblog, unlisted_quote, private)] == [None] * 3
    assert skipped == {"reblog": 1, "not_public": 2}


def test_edited_status_carries_its_edit_time_and_new_text():
    before = convert(status("test_status_edit.yaml", "116388627345481652", 1), Counter())
    after = convert(status("test_status_edit.yaml", "116388627345481652"), Counter())

    assert before is not None and after is not None
    assert before.edited_at is None and after.edited_at is not None
    assert after.text.endswith("the KDE Advanced Text Editor, Kate")
