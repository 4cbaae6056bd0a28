"""A recorded Bluesky post view as the whole message, and hostile variants of it."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest

from pipeline.ingest.sources import bluesky
from pipeline.ingest.sources.bluesky_message import resolve_links
from pipeline.ingest.sources.bluesky_progress import Progress

FIXTURES = Path(__file__).parents[1] / "fixtures" / "bluesky"
ANSWERS = ("getAuthorFeed-shinyakato.dev.json", "getListFeed-shinyakato.dev.json")
# every post view the recorded answers hold (the posts, and the parents and roots of replies)
VIEWS = {
    view["uri"].rsplit("/", 1)[-1]: view
    for name in ANSWERS
    for item in json.loads((FIXTURES / name).read_text(encoding="utf-8"))["feed"]
    for view in (item["post"], *(item.get("reply") or {}).values())
}


def _own(rkey: str) -> dict:
    """A recorded post view as a feed item of its author's, to change freely."""
    return {"post": copy.deepcopy(VIEWS[rkey])}


def _text(item: dict) -> str:
    post = bluesky.convert(item, None, Counter())
    assert post is not None
    return post.text


def _opting_out(author: dict) -> None:
    """Self-label an author ``!no-unauthenticated``, as its profile record would (the recorded
    answers of 2023 predate that label)."""
    label = {
        "src": author["did"],
        "uri": f"at://{author['did']}/app.bsky.actor.profile/self",
        "val": "!no-unauthenticated",
        "cts": "2024-01-01T00:00:00.000Z",
    }
    author["labels"] = [*author.get("labels", []), label]


@pytest.mark.parametrize("prefix", ["", "Ça commence — "])
def test_link_facets_index_utf8_bytes_even_after_multibyte_characters(prefix):
    item = _own("3k7cifik4xo2l")  # a shortened link after an emoji
    record = item["post"]["record"]
    shift = len(prefix.encode())
    record["text"] = prefix + record["text"]
    for facet in record["facets"]:
        facet["index"] = {k: v + shift for k, v in facet["index"].items()}

    text = _text(item)

    assert text.startswith(prefix + "hey devs sry")
    assert "get this done 😛\n\nhttps://github.com/bluesky-social/atproto/pull/1198\n" in text
    assert "bluesky-soci..." not in text


def test_link_facets_over_links_shown_whole_keep_them_once():
    item = _own("3jukdwsblqu2l")  # Japanese text, then the same link twice, each with a facet
    link = "https://psky.app/profile/why.bsky.team/post/3juk5phzpf62w"

    text = _text(item)

    assert text.startswith("ブロックしたら") and f"\n\n{link} {link}\n" in text
    assert "(https://" not in text and text.count(link) == 3  # and once in the card


@pytest.mark.parametrize(
    "index", [{"byteStart": 5, "byteEnd": 999}, {"byteStart": 1, "byteEnd": 2}, {"byteStart": 9}]
)
def test_a_facet_out_of_range_or_cutting_a_character_leaves_the_text_as_written(index):
    text = "Ça va? www.example.org/a..."
    link = {"$type": "app.bsky.richtext.facet#link", "uri": "https://www.example.org/a/b"}
    facets = [{"index": index, "features": [link]}]

    assert resolve_links(text, facets) == text


def test_javascript_links_are_neither_resolved_nor_kept_as_a_card():
    item = _own("3k7cifik4xo2l")
    record, embed = item["post"]["record"], item["post"]["embed"]
    record["facets"][0]["features"][0]["uri"] = "javascript:alert(1)"
    embed["external"]["uri"] = "javascript:alert(1)"

    text = _text(item)

    assert "javascript:" not in text and "Link:" not in text
    assert text.endswith("github.com/bluesky-soci...")


def test_a_link_facet_over_words_keeps_them_and_adds_the_address():
    facets = [
        {
            "index": {"byteStart": 5, "byteEnd": 9},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://a.gc.ca/x"}],
        }
    ]

    assert resolve_links("Read this now", facets) == "Read this (https://a.gc.ca/x) now"


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("app.bsky.embed.record#viewNotFound", "not found"),
        ("app.bsky.embed.record#viewBlocked", "blocked"),
        ("app.bsky.embed.record#viewDetached", "detached"),
    ],
)
def test_a_quote_that_cannot_be_shown_is_kept_saying_so(kind, words):
    item = _own("3k7fwlmbetk2l")  # quotes a post of jaz.bsky.social
    quoted = item["post"]["embed"]["record"]
    item["post"]["embed"]["record"] = {"$type": kind, "uri": quoted["uri"]}

    post = bluesky.convert(item, None, Counter())
    assert post is not None

    assert "Quoting: [quoted post " in post.text and words in post.text.split("Quoting: ")[1]
    # its address is kept in the parts (not in the text reviewers read blind)
    assert post.parts.quote.url.endswith(quoted["uri"].rsplit("/", 1)[-1])
    assert quoted["uri"].rsplit("/", 1)[-1] not in post.text


def test_quoted_post_of_an_author_asking_not_to_be_shown_logged_out_is_not_kept():
    item = _own("3k7fwlmbetk2l")
    _opting_out(item["post"]["embed"]["record"]["author"])

    text = _text(item)

    assert "not kept: its author asks not to be shown to logged-out readers" in text
    assert "これっていつの投稿なのかな" in text  # the quoting post itself is kept
    assert "paul is great" not in text


def test_author_labeled_no_unauthenticated_opts_out():
    item = _own("3jukdwsblqu2l")
    _opting_out(item["post"]["author"])

    with pytest.raises(bluesky.OptedOut):
        bluesky.convert(item, None, Counter())


def test_progress_from_an_older_cursor_keeps_its_stop_point_and_round_trips():
    old = json.dumps(
        {"uri": "at://x/app.bsky.feed.post/1", "created_at": "2024-11-01T10:00:00+00:00"}
    )

    progress = Progress.loads(old)
    again = Progress.loads(progress.dumps([]))

    assert progress.newest == again.newest and again.newest.isoformat().startswith("2024-11-01T10")
    assert "at://x/app.bsky.feed.post/1" in again.seen
    assert progress.top().floor < progress.newest  # reads on through the overlap below it
