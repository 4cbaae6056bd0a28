from tests.ingest.conftest import stored


def test_smoke(fake, register, ingest, engine):
    h = fake.add_account("mastodon", "ana")
    for i in range(3):
        fake.add_post("mastodon", h, f"post {i}")
    b = fake.add_account("bluesky", "bob")
    fake.add_post("bluesky", b, "hello sky")
    f = fake.add_account("rss", "news")
    fake.add_post("rss", f, "feed entry")
    ids = [register("mastodon", h).id, register("bluesky", b).id, register("rss", f).id]
    s = ingest(ids)
    print(s.as_dict())
    print(stored(engine))
    s = ingest(ids)
    print(s.as_dict())
    assert s.new_posts == 0
