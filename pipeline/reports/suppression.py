"""Small-cell suppression: no report cell tells a reader about fewer than ``min_cell`` people.

A report's query returns, next to each count it protects, a ``<column>__people`` column: the
number of distinct people behind that count (the owners of the personal accounts whose posts
it counts; an official account is an organisation, not a person). The runner applies the rules
below and drops the ``__people`` columns, so they never leave the runner.

1. **Primary.** A count behind 1 to ``min_cell - 1`` people is withheld and shown as ``<N``,
   however many flags it holds (six flags of one person are still one person).
2. **Complementary.** A withheld cell must not be recoverable by subtraction from a total a
   reader knows or can find in another report: in every group of cells that add up (a column
   across the report's rows, a column within one value of a pivot such as one org unit, the
   parts of a row total and the total itself), exactly one withheld cell would be given away,
   so the smallest cell still shown in that group is withheld too; repeated until no group has
   exactly one.
3. **Derived.** A figure computed from withheld cells (a percentage, a median, an interval) is
   withheld with them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PEOPLE_SUFFIX = "__people"


@dataclass(frozen=True)
class Protection:
    """How one report's protected cells add up.

    ``groups``: the row keys whose values partition a column into cells that add up (``()`` is
    the whole column). ``total_row``: (column, value) of a row that totals the others.
    ``sums``: a row's total column and the columns it is the sum of. ``derived``: a column and
    the protected columns it is computed from.
    """

    groups: tuple[tuple[str, ...], ...] = ((),)
    total_row: tuple[str, str] | None = None
    sums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)


def withheld(min_cell: int) -> str:
    """How a withheld cell is shown."""
    return f"<{min_cell}"


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


class _Table:
    def __init__(self, columns: list[str], rows: list[list[Any]]) -> None:
        self.index = {c: i for i, c in enumerate(columns)}
        self.rows = rows
        self.protected = [
            c for c in columns if not c.endswith(PEOPLE_SUFFIX) and c + PEOPLE_SUFFIX in self.index
        ]
        self.hidden: set[tuple[int, str]] = set()

    def value(self, row: int, column: str) -> Any:
        return self.rows[row][self.index[column]]

    def people(self, row: int, column: str) -> int:
        return int(self.value(row, column + PEOPLE_SUFFIX) or 0)

    def complete(self, cells: list[tuple[int, str]], total: tuple[int, str] | None) -> bool:
        """Withhold one more cell of a group that would give one away; True if it did."""
        hidden = [cell for cell in cells if cell in self.hidden]
        total_hidden = total is not None and total in self.hidden
        if len(hidden) != 1 and not (total_hidden and not hidden and cells):
            return False
        shown = [cell for cell in cells if cell not in self.hidden]
        if not shown and total is not None and not total_hidden:
            shown = [total]
        if not shown:
            return False
        # the smallest cell that holds something; a zero only when nothing else is left
        pick = min(shown, key=lambda c: (_number(self.value(*c)) == 0, _number(self.value(*c))))
        self.hidden.add(pick)
        return True


def suppress(
    columns: list[str], rows: list[list[Any]], protection: Protection, min_cell: int
) -> tuple[list[str], list[list[Any]]]:
    """The report's columns and rows as they may be shown (see the module docstring)."""
    table = _Table(columns, [list(row) for row in rows])
    for i in range(len(table.rows)):
        for column in table.protected:
            if 0 < table.people(i, column) < min_cell:
                table.hidden.add((i, column))
    total_at = None
    if protection.total_row is not None:
        key, marker = protection.total_row
        totals = [i for i in range(len(table.rows)) if table.value(i, key) == marker]
        total_at = totals[0] if totals else None
    parts = [i for i in range(len(table.rows)) if i != total_at]
    changed = True
    while changed:
        changed = False
        for column in table.protected:
            for keys in protection.groups:
                partition: dict[tuple[Any, ...], list[tuple[int, str]]] = defaultdict(list)
                for i in parts:
                    partition[tuple(table.value(i, k) for k in keys)].append((i, column))
                total = (total_at, column) if total_at is not None and not keys else None
                for cells in partition.values():
                    changed |= table.complete(cells, total)
        for i in range(len(table.rows)):
            for whole, pieces in protection.sums.items():
                changed |= table.complete([(i, p) for p in pieces], (i, whole))
    mark = withheld(min_cell)
    for i, column in table.hidden:
        table.rows[i][table.index[column]] = mark
    for column, sources in protection.derived.items():
        for i in range(len(table.rows)):
            if any((i, source) in table.hidden for source in sources):
                table.rows[i][table.index[column]] = mark
    keep = [c for c in columns if not c.endswith(PEOPLE_SUFFIX)]
    at = [table.index[c] for c in keep]
    return keep, [[row[j] for j in at] for row in table.rows]


# Each report's protection (a report not listed gets ``Protection()``: each column one group);
# ``None`` marks one whose cells are not about the people whose posts are read.
PROTECTIONS: dict[str, Protection | None] = {
    "flags_by_category_week": Protection(groups=((), ("week",), ("category",))),
    "flags_by_org_unit": Protection(groups=((), ("org_unit",), ("seniority_band",))),
    "decision_mix": Protection(
        total_row=("category", "all"),
        sums={"decided": ("no_concern", "advise", "escalate", "refer", "reopen")},
        derived={"no_concern_pct": ("no_concern", "decided")},
    ),
    "queue_backlog": Protection(
        total_row=("category", "all"),
        sums={"open": ("under_1d", "d1_3", "d3_7", "over_7d")},
        derived={"median_age_h": ("open",), "oldest_h": ("open",)},
    ),
    "time_to_decision": Protection(
        total_row=("category", "all"),
        derived={
            "median_h": ("decided",),
            "p90_h": ("decided",),
            "breach_pct": ("sla_breaches", "decided"),
        },
    ),
    "miss_rate": Protection(
        total_row=("account_kind", "all"),
        derived={
            "miss_rate_pct": ("misses", "reviewed"),
            "ci_low_pct": ("misses", "reviewed"),
            "ci_high_pct": ("misses", "reviewed"),
        },
    ),
    "classifier_versions": Protection(derived={"no_concern_pct": ("decided",)}),
    # official accounts only: organisations, no person behind a cell
    "official_languages": None,
    # one row per reviewer by design (the leads' view of the review work); it holds nothing
    # about the people whose posts were reviewed
    "reviewer_workload": None,
    # one row per scan run over every account: nothing per person
    "scan_runs": None,
}
