"""The held-out part that estimates a fine-tuned version: whole sources when the rows name them.

Rows of one source share wording, topics and annotators; a model tested on other rows of a
source it trained on looks better than it will on a new source. So when the rows carry a
``source`` with at least three distinct values, about ``HELD_OUT`` of the rows are held out as
whole sources. Which sources is a seeded search: every label must stay in the training part,
as many labels as possible should be in the held-out part (each one's threshold comes from
there), and the share should be as close to the band as it can. Without sources, a stratified
share of the rows is held out.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit

from pipeline.errors import InputError

HELD_OUT = (0.15, 0.20)  # the share of rows held out
WIDEST = (0.10, 0.30)  # a share outside this band costs more than a label missing from it
MIN_SOURCES = 3
ENUMERATE_UP_TO = 12  # sources; beyond, seeded random candidates
CANDIDATES = 4096


@dataclass
class Split:
    train: np.ndarray  # row indices
    held_out: np.ndarray
    grouped: bool  # whole sources held out (else stratified rows)
    sources: list[str] = field(default_factory=list)  # the held-out sources

    @property
    def share(self) -> float:
        return len(self.held_out) / (len(self.train) + len(self.held_out))


def held_out_split(
    labels: Sequence[str], sources: Sequence[str | None] | None, seed: int = 0
) -> Split:
    """Whole sources held out when there are ``MIN_SOURCES`` or more (and holding some out
    leaves every label to train on); otherwise a stratified split."""
    y = np.asarray(labels)
    if sources is not None and all(s is not None for s in sources):
        names = sorted(set(str(s) for s in sources))
        if len(names) >= MIN_SOURCES:
            found = _grouped(y, np.asarray([str(s) for s in sources]), names, seed)
            if found is not None:
                return found
    return _stratified(y, seed)


def _stratified(y: np.ndarray, seed: int) -> Split:
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        rare = str(classes[counts.argmin()])
        raise InputError(f"label {rare!r} has one row: fine-tuning needs two or more of each")
    target = sum(HELD_OUT) / 2
    size = max(len(classes), round(target * len(y)))
    if len(y) - size < len(classes):
        raise InputError("too few rows to hold some out: fine-tuning needs more labeled rows")
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=size, random_state=seed)
    train, held = next(splitter.split(np.zeros(len(y)), y))
    return Split(np.sort(train), np.sort(held), grouped=False)


def _grouped(y: np.ndarray, source: np.ndarray, names: list[str], seed: int) -> Split | None:
    labels = sorted(set(y.tolist()))
    counts = np.array([[np.sum((source == s) & (y == lab)) for lab in labels] for s in names])
    total = counts.sum(axis=0)
    rng = np.random.default_rng(seed)
    best: tuple | None = None
    chosen: tuple[int, ...] = ()
    for subset in _candidates(len(names), counts.sum(axis=1) / len(y), rng):
        held = counts[list(subset)].sum(axis=0)
        if np.any(held == total):  # a label would be left with nothing to train on
            continue
        share = held.sum() / len(y)
        outside = max(WIDEST[0] - share, share - WIDEST[1], 0.0) > 0
        distance = max(HELD_OUT[0] - share, share - HELD_OUT[1], 0.0)
        score = (outside, int(np.sum(held == 0)), round(float(distance), 4))
        if best is None or score < best:
            best, chosen = score, subset
    if best is None:
        return None
    held_mask = np.isin(source, [names[i] for i in chosen])
    return Split(
        np.flatnonzero(~held_mask),
        np.flatnonzero(held_mask),
        grouped=True,
        sources=[names[i] for i in chosen],
    )


def _candidates(n: int, shares: np.ndarray, rng: np.random.Generator):
    """Subsets of sources (index tuples) in a seeded order: the first of equally good ones
    wins, so the seed picks among them. All proper subsets when there are few sources, else
    seeded random ones, each grown source by source until it reaches the band."""
    if n <= ENUMERATE_UP_TO:
        subsets = [
            c for k in range(1, n) for c in itertools.combinations(range(n), k)
        ]  # at most 4,094
        for i in rng.permutation(len(subsets)):
            yield subsets[i]
        return
    for _ in range(CANDIDATES):
        order, taken, share = rng.permutation(n), [], 0.0
        for i in order:
            taken.append(int(i))
            share += shares[i]
            if share >= HELD_OUT[0]:
                break
        yield tuple(sorted(taken))
