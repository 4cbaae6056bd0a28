"""Sixteen reviewers claiming at once never receive the same flag."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy.orm import Session

from pipeline import review


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
                while (flag := review.claim_next(session, user, at=clock())) is not None:
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
