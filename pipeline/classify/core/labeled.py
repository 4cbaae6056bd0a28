"""Labeled JSONL files (``text`` + ``label`` per line) and label -> category mappings.

Training reads its files through ``read_training_rows``: the rows of every file in order, one
mapping over all their labels, and each row's ``source`` (what the grouped estimate holds out):
the row's own ``source``; ``reviewer-decisions`` for a row of ``impartial export decisions``
(it has a ``decisions`` object), whose labels are categories or ``none`` and so need no --map;
else the file's name, so that a file without sources counts as one source.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.classify.guidance import CATEGORY_NAMES
from pipeline.errors import InputError

NONE = "none"
DECISIONS_SOURCE = "reviewer-decisions"
UNKNOWN_LANG = "und"
TOP_SOURCES = 20


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


@dataclass(frozen=True)
class TrainingSet:
    """The rows of one or more labeled files, read as one training set.

    ``mapping`` names each label the head trains on; labels that map to the same categories
    (``benign`` and ``none``, ``offensive`` and ``vulgar`` when files are mixed) train as one,
    the first one read, so that the head does not split a class and the metrics do not count
    one as a confusion with the other: ``merged`` says which label became which."""

    rows: list[dict[str, Any]]
    mapping: dict[str, list[str]]
    files: list[str]
    merged: dict[str, str]

    @property
    def texts(self) -> list[str]:
        return [r["text"] for r in self.rows]

    @property
    def labels(self) -> list[str]:
        return [self.merged.get(r["label"], r["label"]) for r in self.rows]

    @property
    def sources(self) -> list[str]:
        return [r["source"] for r in self.rows]

    @property
    def langs(self) -> list[str]:
        return [
            r["lang"] if isinstance(r.get("lang"), str) and r["lang"] else UNKNOWN_LANG
            for r in self.rows
        ]

    def summary(self) -> dict[str, Any]:
        """What was trained on: the files, a SHA-256 over each row's ``[text, label]`` as read
        (one JSON array and a newline per row, in order), and the counts by label (as trained),
        language and source (the largest 20)."""
        digest = hashlib.sha256()
        for r in self.rows:
            digest.update(json.dumps([r["text"], r["label"]], ensure_ascii=False).encode())
            digest.update(b"\n")
        out: dict[str, Any] = {
            "files": list(self.files),
            "sha256": digest.hexdigest(),
            "rows": len(self.rows),
            "by_label": dict(sorted(Counter(self.labels).items())),
            "by_lang": dict(sorted(Counter(self.langs).items())),
            "by_source": dict(Counter(self.sources).most_common(TOP_SOURCES)),
        }
        if self.merged:
            out["labels_merged"] = dict(self.merged)
        return out


def read_training_rows(paths: Sequence[Path | str], maps: Sequence[str] | None) -> TrainingSet:
    """Every file's rows in order, with their ``source``; ``maps`` apply to every file's labels."""
    if not paths:
        raise InputError("name at least one labeled file to train on")
    rows: list[dict[str, Any]] = []
    for path in paths:
        for row in read_labeled(path):
            if isinstance(row.get("decisions"), dict):
                row = {**row, "source": DECISIONS_SOURCE}
            elif not (isinstance(row.get("source"), str) and row["source"].strip()):
                row = {**row, "source": Path(path).name}
            rows.append(row)
    read = parse_mapping(maps, [r["label"] for r in rows])
    first: dict[tuple[str, ...], str] = {}
    merged: dict[str, str] = {}
    for label in dict.fromkeys(r["label"] for r in rows):
        same = first.setdefault(tuple(sorted(read[label])), label)
        if same != label:
            merged[label] = same
    mapping = {label: cats for label, cats in read.items() if label not in merged}
    return TrainingSet(rows, mapping, [Path(p).name for p in paths], merged)
