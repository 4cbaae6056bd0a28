"""The Bluesky connector on recorded AppView answers (``tests/fixtures/bluesky``), served by the
fake AppView and read through ``impartial scan --ingest-only`` or the ingest loop."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import Post, ScanRun
from pipeline.fakes.bluesky import _iso, _time
from tests.ingest.conftest import stored

FIXTURES = Path(__file__).parents[1] / "fixtures" / "bluesky"
AUTHOR_FEED = FIXTURES / "getAuthorFeed-shinyakato.dev.json"  # 23 posts and 2 reposts
LIST_FEED = FIXTURES / "getListFeed-shinyakato.dev.json"  # 13 posts of the same account
SHINYA = "did:plc:iijrtk7ocored6zuziwmqq3c"
PSKY = f"at://{SHINYA}/app.bsky.feed.post/3jukdwsblqu2l"  # Japanese text, two links, a card
HUNGRY = f"at://{SHINYA}/app.bsky.feed.post/3k7hppwclet2b"  # an image with alt text
LUCK = f"at://{SHINYA}/app.bsky.feed.post/3k7cnef4bbb2p"  # an image without alt text
MERGED = f"at://{SHINYA}/app.bsky.feed.post/3k7fhi3y3sq2b"  # a link card
# posts the answers hold as the parents of shinyakato.dev's replies
DHOLMS = "at://did:plc:yk4dd2qkboz2yv6tpubpc6co/app.bsky.feed.post/3k7cifik4xo2l"  # short link
SYUI = "at://did:plc:uqzpqmrjnptsxezjx4xuh2mn/app.bsky.feed.post/3k7fwlmbetk2l"  # a quote
MOORE = "at://did:plc:gggcwmwoyak6op4pkqm76ckz/app.bsky.feed.post/3jukz62npim26"  # reposted


def _items(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["feed"]


def _views(*paths: Path) -> dict[str, dict]:
    """Every post view of the recorded answers, the reply parents and roots included, by URI."""
    out: dict[str, dict] = {}
    for path in paths:
        for item in _items(path):
            for view in (item["post"], *(item.get("reply") or {}).values()):
                out.setdefault(view["uri"], view)
    return out


def _serve(fake, tmp_path: Path, name: str, items: list[dict]) -> None:
    """Serve feed items through the fake's ``load``: an answer written at run time, holding
    recorded post views (or variants of them a test derived), never stored in the fixtures."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"feed": items}), encoding="utf-8")
    fake.bluesky.load(path)


def _parts(engine, uri: str) -> dict:
    with engine.connect() as conn:
        return conn.scalar(sa.select(Post.parts).where(Post.external_id == uri))


def test_scan_stores_each_original_post_once_with_its_link_card_alt_text_and_quote(
    fake, register, engine, tmp_path
):
    fake.bluesky.load(AUTHOR_FEED)
    fake.bluesky.load(LIST_FEED)
    # the parents of two replies, served in their authors' own feeds
    views = _views(LIST_FEED)
    _serve(fake, tmp_path, "parents", [{"post": views[DHOLMS]}, {"post": views[SYUI]}])
    shinya = register("bluesky", "shinyakato.dev")
    moore = register("bluesky", "christopherpmoore.xyz")
    dholms = register("bluesky", "dholms.xyz")
    syui = register("bluesky", "syui.ai")

    first = CliRunner().invoke(app, ["scan", "--ingest-only"])
    second = CliRunner().invoke(app, ["scan", "--ingest-only"])

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    texts = stored(engine, shinya.id)
    assert len(texts) == 23 + 13  # the two reposts skipped
    assert MOORE not in texts and set(stored(engine, moore.id)) == {MOORE}  # its author's only
    # link facets after multibyte characters, over links shown whole: kept once each
    assert texts[PSKY].count("https://psky.app/profile/why.bsky.team/post/3juk5phzpf62w") == 3
    assert texts[PSKY].startswith("ブロックしたらフォローが外れるように修正されるみたいだから")
    assert "Link: Whyrusleeping (@why.bsky.team) — Thats a bug. Will fix soon — " in texts[PSKY]
    assert "Image: Too hungry to sleep \nToo sleepy to eat" in texts[HUNGRY]
    assert _parts(engine, HUNGRY)["reply_to"] == (
        "https://bsky.app/profile/did:plc:ragtjsm2j2vknwkz3zp4oxrd/post/3k7hpgxtkuy2g"
    )
    # the text shows "github.com/bluesky-soci..."; its facet holds the whole URL
    short = stored(engine, dholms.id)[DHOLMS]
    assert "done 😛\n\nhttps://github.com/bluesky-social/atproto/pull/1198\n" in short
    assert "Link: Remove in-process AppView from PDS by dholms · Pull Request #1198" in short
    quoting = stored(engine, syui.id)[SYUI]
    assert _parts(engine, SYUI)["quote"]["author"] == "@jaz.bsky.social"
    assert "Quoting @jaz.bsky.social: don't worry this is a totally legit reply" in quoting
    assert 'Image: A post from jack on nostr saying "paul is great"' in quoting
    with engine.connect() as conn:
        runs = conn.execute(sa.select(ScanRun.new_posts).order_by(ScanRun.id)).scalars().all()
        assert conn.scalar(sa.select(sa.func.count()).select_from(Post)) == 39
    assert runs == [39, 0]  # a second scan adds nothing
    assert "skipped: " in first.output and "repost" in first.output


def test_post_with_empty_text_is_stored_for_its_quote_or_alt_text_not_for_a_bare_image(
    fake, register, ingest, engine, tmp_path
):
    for name in ("getPostThread-recordWithMedia-empty-text", "getPostThread-recordWithMedia-quote"):
        fake.bluesky.load(FIXTURES / f"{name}.json")
    # two recorded image posts with their text taken out (derived here): one image has alt
    # text, the other none
    blanked = []
    for item in _items(LIST_FEED):
        if item["post"]["uri"] in (HUNGRY, LUCK):
            item = copy.deepcopy(item)
            item["post"]["record"]["text"] = ""
            blanked.append(item)
    _serve(fake, tmp_path, "blanked", blanked)
    ids = [
        register("bluesky", handle).id
        for handle in ("test.marshal.dev", "raven.corvids.club", "shinyakato.dev")
    ]

    summary = ingest(ids)

    texts = stored(engine)
    assert len(texts) == 3 and summary.skipped["no_text"] == 1  # LUCK: an image, no alt
    raven = texts["at://did:plc:hbtuqflamm5j2i7yahtzsnue/app.bsky.feed.post/3k3ic43ucbq2f"]
    assert raven.startswith("Quoting @lookitup.baby: *David Attenborough voice* the young sharks")
    assert "Image: a large pile of BLÅHAJ" in raven  # the quoted post's own image
    marshal = "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22"
    # a post quoting its own author: no handle that would name them in a blind review
    assert texts[marshal].startswith("Quoting themselves: test")  # its image has no alt
    assert texts[HUNGRY] == "Image: Too hungry to sleep \nToo sleepy to eat"
    assert _parts(engine, HUNGRY)["reply_to"] == (
        "https://bsky.app/profile/did:plc:ragtjsm2j2vknwkz3zp4oxrd/post/3k7hpgxtkuy2g"
    )


def test_post_created_before_the_newest_stored_post_but_arriving_later_is_stored(
    fake, register, ingest, engine
):
    fake.bluesky.load(LIST_FEED)  # its own posts only: the newest item read is a stored post
    late = fake.bluesky.take_item("shinyakato.dev", MERGED)
    account = register("bluesky", "shinyakato.dev")
    ingest([account.id])
    # its client clock was behind: created before the newest stored post, indexed after the run
    newest = max(_time(item["post"]["record"]["createdAt"]) for item in _items(LIST_FEED))
    late = copy.deepcopy(late)
    late["post"]["record"]["createdAt"] = _iso(newest - timedelta(minutes=20))
    late["post"]["indexedAt"] = _iso(newest + timedelta(days=1))
    fake.bluesky.add_item("shinyakato.dev", late)

    summary = ingest([account.id])

    assert summary.new_posts == 1
    assert MERGED in stored(engine, account.id)


def test_persistent_error_on_a_middle_page_keeps_the_pages_before_it_and_the_next_run_fills_the_gap(
    fake, register, ingest, engine
):
    fake.bluesky.load(AUTHOR_FEED)
    fake.bluesky.page_cap = 5  # 25 items: five pages; reposts are the 1st and the 19th item
    items = _items(AUTHOR_FEED)  # in the order the AppView (and the fake) pages them
    own = [item["post"]["uri"] for item in items if "reason" not in item]
    before = {item["post"]["uri"] for item in items[:15] if "reason" not in item}
    account = register("bluesky", "shinyakato.dev")
    pages: list[str | None] = []
    broken = [True]

    def fail_fourth_page(request) -> None:
        if request.path.endswith("getAuthorFeed"):
            cursor = request.query.get("cursor")
            if cursor not in pages:
                pages.append(cursor)
            if broken[0] and pages.index(cursor) == 3:
                fake.inject("bluesky", "5xx")  # answers this very request, every time

    fake.bluesky.hooks.append(fail_fourth_page)
    failed = ingest([account.id], http_retries=1)
    kept = set(stored(engine, account.id))
    broken[0] = False
    newer = fake.add_post("bluesky", "shinyakato.dev", "Published between the two runs")
    fake.bluesky.reset_counters()

    resumed = ingest([account.id])

    assert sum(failed.errors.values()) == 1
    assert kept == before and len(kept) == 14  # committed with pages 1 to 3, before the failure
    assert set(stored(engine, account.id)) == {*own, newer}
    assert resumed.new_posts == 1 + 9 and resumed.errors == {}
    # the new top down to the hour's overlap (one page of five), then pages 4 and 5 (the gap)
    assert fake.bluesky.requests == 1 + 2


def test_deactivated_account_is_a_permanent_error_asked_once_per_scan(
    fake, register, ingest, engine
):
    fake.bluesky.load(AUTHOR_FEED)
    account = register("bluesky", "shinyakato.dev")
    fake.bluesky.set_status("shinyakato.dev", "deactivated")

    summary = ingest([account.id])

    assert fake.bluesky.by_account["shinyakato.dev"] == 1
    assert sum(summary.errors.values()) == 1 and stored(engine) == {}
    assert summary.errors_by_kind == {"permanent": 1}
    assert "AccountDeactivated" in summary.failures[0]["reason"]


def test_deleted_account_met_in_the_feed_is_a_permanent_error_that_says_to_check_the_handle(
    fake, register, ingest
):
    fake.bluesky.load(AUTHOR_FEED)
    account = register("bluesky", "shinyakato.dev")
    ingest([account.id])  # the profile is fresh now: the next scan asks for the feed only
    fake.bluesky.set_status("shinyakato.dev", "takendown")
    fake.bluesky.reset_counters()

    summary = ingest([account.id])

    assert fake.bluesky.requests == 1
    assert summary.errors_by_kind == {"permanent": 1}
    assert "Profile not found" in summary.failures[0]["reason"]
    assert "check the handle" in summary.failures[0]["reason"]
