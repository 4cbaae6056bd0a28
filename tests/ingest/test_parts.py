"""A post's parts: their labelled flattened text and their JSON (the pages showing them:
tests/web/test_post_parts.py)."""

from __future__ import annotations

import pytest

from pipeline.ingest.sources.parts import LinkCard, Media, Parts, Quote, flatten

WHOLE = Parts(
    body="H8 this for everyone",
    content_warning="politics",
    quote=Quote("BURN THE SITE DOWN!", "@someone@social.example", "https://social.example/@s/1"),
    poll=["Vote Party A", "Vote Party B"],
    media=[Media("image", "A party logo on a placard"), Media("video", None)],
    link=LinkCard("https://news.example/story", "Election called", "The vote is on Monday"),
    reply_to="https://social.example/@s/0",
)


def test_flatten_labels_every_part_in_reading_order():
    assert flatten(WHOLE).split("\n\n") == [
        "Content warning: politics",
        "H8 this for everyone",
        "Quoting @someone@social.example: BURN THE SITE DOWN!",
        "Poll: Vote Party A / Vote Party B",
        "Image: A party logo on a placard",
        "Video (no description)",
        "Link: Election called — The vote is on Monday — https://news.example/story",
    ]


def test_a_body_alone_flattens_to_itself():
    assert flatten(Parts(body="  Office closed Monday.  ")) == "Office closed Monday."


@pytest.mark.parametrize(
    "parts",
    [
        Parts(media=[Media("image", "A ballot")]),
        Parts(quote=Quote("Vote B")),
        Parts(poll=["A", "B"]),
        Parts(content_warning="spoiler"),
        Parts(link=LinkCard("https://x.example", "A title")),
    ],
)
def test_a_post_without_a_body_but_with_another_readable_part_has_text(parts):
    assert parts.has_text()


@pytest.mark.parametrize(
    "parts",
    [
        Parts(),
        Parts(body="  \n "),
        Parts(media=[Media("image", None), Media("video", " ")]),
        Parts(poll=[" ", ""]),
        Parts(link=LinkCard("https://x.example")),
        Parts(reply_to="https://social.example/@s/0"),
    ],
)
def test_parts_with_nothing_to_read_have_no_text(parts):
    assert not parts.has_text()


def test_parts_round_trip_through_json():
    assert Parts.from_json(WHOLE.as_json()) == WHOLE
    assert Parts.from_json(Parts(body="only").as_json()) == Parts(body="only")


def test_empty_parts_are_left_out_of_the_json():
    assert Parts(body="hi", media=[Media("image", None)]).as_json() == {
        "body": "hi",
        "media": [{"kind": "image"}],
    }
    assert Parts.from_json({}) == Parts() and Parts.from_json(None) == Parts()
