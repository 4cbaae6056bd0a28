"""The guidance policy: categories, EN/FR descriptions and exemplars, lexicons, disclaimers.

``load_policy()`` reads and validates the shipped ``policy.yaml`` (or ``Settings.policy_file``);
a policy's version is the SHA-256 of its file content, recorded with every assessment.
"""

from __future__ import annotations

from pipeline.classify.guidance.lexicon import Lexicon, LexiconMatch, fold
from pipeline.classify.guidance.loader import (
    CATEGORY_NAMES,
    SHIPPED_POLICY,
    Policy,
    PolicyError,
    load_policy,
    parse_policy,
)

__all__ = [
    "CATEGORY_NAMES",
    "SHIPPED_POLICY",
    "Lexicon",
    "LexiconMatch",
    "Policy",
    "PolicyError",
    "fold",
    "load_policy",
    "parse_policy",
]
