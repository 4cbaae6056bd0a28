"""How far a Bluesky author feed has been read: the JSON kept in ``source_cursor.cursor``.

The feed is newest first, sorted by each item's *sort time*: ``min(indexedAt, createdAt)`` of a
post (a repost's own ``indexedAt``). A client whose clock is behind gives its post a sort time
earlier than when it arrived, so a new post can sort just below posts read on the last run.
The walk therefore does not stop at the newest stored post: it reads on through an overlap
(``OVERLAP`` below the newest sort time seen) and skips what it already read there, by key
(the post's URI, or the repost's), kept in ``seen``.

A walk is committed page by page, newest first. A walk that stops part-way (an error, a page
that does not come) is kept as a *gap*: the pagination cursor it would have asked next, the
floor it was reading down to, and the keys seen just above that floor. The next run first
walks the new top, down to the overlap below the newest sort time, then finishes each gap,
newest first, so no range is left unread and nothing is read twice.

    {"newest": "2024-11-03T22:40:45.282Z", "seen": {"at://…": "2024-11-03T22:40:45.282Z"},
     "gaps": [{"cursor": "…", "floor": "2024-11-01T16:00:00Z", "seen": {…}}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipeline.ingest.sources.text import parse_time

OVERLAP = timedelta(hours=1)  # clock skew tolerated between a poster's client and the AppView
MAX_SEEN = 500  # keys kept per window: more than one full page of the busiest hour


@dataclass
class Walk:
    """A walk down the feed: from ``cursor`` (None: the top) down to ``floor`` (None: the end),
    skipping the keys in ``seen`` (key -> sort time)."""

    cursor: str | None = None
    floor: datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)

    def done_below(self, at: datetime | None) -> bool:
        """Whether an item sorted at ``at`` lies below this walk's floor."""
        return at is not None and self.floor is not None and at < self.floor


@dataclass
class Progress:
    """The newest sort time read, the keys read within the overlap below it, the gaps left."""

    newest: datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)
    gaps: list[Walk] = field(default_factory=list)

    def top(self) -> Walk:
        """This run's first walk: from the top down to the overlap below the newest."""
        floor = self.newest - OVERLAP if self.newest else None
        return Walk(None, floor, dict(self.seen))

    def saw(self, key: str, at: datetime | None) -> None:
        """An item read on the walk from the top: it moves the newest mark and the window."""
        if at is None:
            return
        if self.newest is None or at > self.newest:
            self.newest = at
        self.seen[key] = _iso(at)

    def dumps(self, pending: list[Walk]) -> str:
        """The JSON to store, with ``pending`` walks (the current one first) as the gaps."""
        window = _window(self.seen, self.newest)
        return json.dumps(
            {
                "newest": _iso(self.newest) if self.newest else None,
                "seen": window,
                "gaps": [
                    {
                        "cursor": walk.cursor,
                        "floor": _iso(walk.floor) if walk.floor else None,
                        "seen": walk.seen,
                    }
                    for walk in pending
                    if walk.cursor  # a walk from the top is redone anyway
                ],
            },
            sort_keys=True,
        )

    @classmethod
    def loads(cls, cursor: str | None) -> Progress:
        """What was stored; an older cursor (the newest stored URI, alone or with its times)
        becomes a window of that one URI."""
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
        except ValueError:
            return cls(seen={cursor: ""})
        if not isinstance(data, dict):
            return cls(seen={cursor: ""})
        if "uri" in data:  # {"uri", "created_at", "seen_at"}
            times = [_time(data.get("seen_at")), _time(data.get("created_at"))]
            newest = max((t for t in times if t), default=None)
            return cls(newest, {str(data["uri"]): _iso(newest) if newest else ""})
        gaps = [
            Walk(str(gap["cursor"]), _time(gap.get("floor")), _seen(gap.get("seen")))
            for gap in data.get("gaps") or ()
            if isinstance(gap, dict) and gap.get("cursor")
        ]
        return cls(_time(data.get("newest")), _seen(data.get("seen")), gaps)


def _window(seen: dict[str, str], newest: datetime | None) -> dict[str, str]:
    """The keys within the overlap below ``newest``, the newest ``MAX_SEEN`` of them."""
    floor = newest - OVERLAP if newest else None
    kept = [
        (at, key)
        for key, at in seen.items()
        if floor is None or (_time(at) is not None and _time(at) >= floor)  # type: ignore[operator]
    ]
    return {key: at for at, key in sorted(kept, reverse=True)[:MAX_SEEN]}


def _seen(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value)
    except ValueError:
        return None


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
