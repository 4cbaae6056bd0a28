"""Labeled JSONL files (``text`` + ``label`` per line) and label -> category mappings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.classify.guidance import CATEGORY_NAMES
from pipeline.errors import InputError

NONE = "none"


def read_labeled(path: Path | str) -> list[dict[str, Any]]:
    """Rows with at least ``text`` and ``label``; a bad line is an error naming its number."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise InputError(f"{path}:{number}: each line needs a string 'text'")
            if not isinstance(row.get("label"), str):
                raise InputError(f"{path}:{number}: each line needs a string 'label'")
            rows.append(row)
    if not rows:
        raise InputError(f"{path}: no rows")
    return rows


def parse_mapping(items: Sequence[str] | None, labels: Sequence[str]) -> dict[str, list[str]]:
    """``LABEL=CAT[,CAT...]`` options to {label: [categories]} (``none`` = no flag).

    Without options, a label that is a category name stands for itself and ``none`` or
    ``benign`` for no flag; any other label needs a --map.
    """
    mapping: dict[str, list[str]] = {}
    for item in items or []:
        label, sep, cats = item.partition("=")
        if not sep or not label.strip() or not cats.strip():
            raise InputError(f"--map {item!r}: use LABEL=CATEGORY[,CATEGORY...]")
        names = [c.strip() for c in cats.split(",") if c.strip()]
        for name in names:
            if name != NONE and name not in CATEGORY_NAMES:
                raise InputError(
                    f"--map {item!r}: unknown category {name!r} "
                    f"(categories: {', '.join(CATEGORY_NAMES)}, or none)"
                )
        if NONE in names and len(names) > 1:
            raise InputError(f"--map {item!r}: 'none' cannot be combined with categories")
        mapping[label.strip()] = [] if names == [NONE] else names
    for label in dict.fromkeys(labels):
        if label in mapping:
            continue
        if label in CATEGORY_NAMES:
            mapping[label] = [label]
        elif label in (NONE, "benign"):
            mapping[label] = []
        elif items:
            raise InputError(f"label {label!r} is not named by any --map")
        else:
            raise InputError(
                f"label {label!r} is not a category: map it, e.g. --map {label}=partisan "
                f"or --map {label}=none"
            )
    return mapping


def none_label(mapping: dict[str, list[str]]) -> str:
    """The label that means "no flag" (``none`` when no label is mapped to none)."""
    return next((label for label, cats in mapping.items() if not cats), NONE)
