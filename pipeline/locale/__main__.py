"""``python -m pipeline.locale``: add new marked strings to the French catalogue, list the
ones still without French, and exit 1 while any is (``make messages``)."""

from __future__ import annotations

import sys

from pipeline.locale.messages import missing, update


def main() -> int:
    added = update()
    print(f"{len(added)} new message(s) added to the French catalogue")
    lacking = missing()
    for message, where in sorted(lacking.items()):
        print(f"  no French: {message!r} ({', '.join(sorted(where))})")
    print(f"{len(lacking)} message(s) without French")
    return 1 if lacking else 0


if __name__ == "__main__":
    sys.exit(main())
