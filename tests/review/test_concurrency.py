"""Reviewers claiming at once never receive the same flag, nor the same post."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import review
from pipeline.db.models import Flag
from pipeline.review import items as review_items


def test_sixteen_threads_claiming_concurrently_never_get_the_same_flag(
    engine, db, make, clock
) -> None:
    account = make.account(make.person())
    flags = [make.flag(risk=(i % 7) / 10, account=account) for i in range(64)]
    reviewers = [make.user("reviewer") for _ in range(16)]
    review.enqueue(db, at=clock())
    db.commit()
    start = threading.Barrier(16)
    claimed: list[list[int]] = [[] for _ in reviewers]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            with Session(engine) as session:
                user = session.merge(reviewers[index], load=True)
                while (
                    flag := review.claim_next(session, user, another=True, at=clock())
                ) is not None:
                    claimed[index].append(flag.id)
                    session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = Counter(fid for ids in claimed for fid in ids)
    assert max(counts.values()) == 1
    assert set(counts) == {f.id for f in flags}
    assert sum(1 for ids in claimed if ids) > 1


def test_reviewers_claiming_at_once_never_share_a_post(engine, db, make, clock) -> None:
    account = make.account(make.person())
    posts = [make.post(account, f"post {i}") for i in range(24)]
    flags = {
        f.id: f.post_id
        for p in posts
        for f in (
            make.flag(p, category="partisan", risk=(p.id % 5) / 10),
            make.flag(p, category="vulgar", risk=0.05),
        )
    }
    reviewers = [make.user("reviewer") for _ in range(8)]
    db.commit()
    start = threading.Barrier(len(reviewers))
    held: dict[int, set[int]] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        try:
            start.wait()
            with Session(engine) as session:
                user = session.merge(reviewers[index], load=True)
                while review.claim_next(session, user, another=True, at=clock()) is not None:
                    session.commit()
                mine = {f.post_id for f in review_items.held_flags(session, user, clock())}
                with lock:
                    held[user.id] = mine
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(reviewers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    owners = Counter(post for posts_held in held.values() for post in posts_held)
    assert set(owners) == {p.id for p in posts} and max(owners.values()) == 1
    claimed = db.execute(select(Flag.id, Flag.post_id, Flag.claimed_by_id)).all()
    by_post: dict[int, set[int]] = {}
    for _flag_id, post_id, holder in claimed:
        by_post.setdefault(post_id, set()).add(holder)
    assert all(len(holders) == 1 and None not in holders for holders in by_post.values())
    assert len(claimed) == len(flags)
