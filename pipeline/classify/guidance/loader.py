"""Read and validate a policy file; a broken file raises ``PolicyError`` naming the problem."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.classify.guidance.lexicon import Lexicon, fold, profanity_words
from pipeline.config import get_settings
from pipeline.errors import InputError
from pipeline.vocabulary import SENIORITY_BANDS

# libyaml's safe loader where PyYAML was built with it (about 10x faster), else the Python one
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SHIPPED_POLICY = Path(__file__).with_name("policy.yaml")
CATEGORY_NAMES = ("partisan", "government_policy", "vulgar", "self_serving")
LANGUAGES = ("en", "fr")
MIN_EXEMPLARS = 3

Text = Annotated[str, Field(min_length=1)]


class PolicyError(InputError):
    """The policy file cannot be used; the message says which file and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    en: Text
    fr: Text


class Exemplars(_Strict):
    en: list[Text] = Field(min_length=MIN_EXEMPLARS)
    fr: list[Text] = Field(min_length=MIN_EXEMPLARS)


class CategorySpec(_Strict):
    description: Bilingual
    threshold: float = Field(ge=0, le=1)
    exemplars: Exemplars


class ScoringSpec(_Strict):
    top_k: int = Field(default=3, ge=1, le=50)
    lexicon_scale: float = Field(default=1.5, gt=0)
    # Per-category log-odds weights of the shipped score (see pipeline.scoring).
    weights: dict[str, dict[str, float]] = Field(default_factory=dict)


class AudienceSpec(_Strict):
    reference: int = Field(ge=1)
    weight_per_decade: float = Field(ge=0)
    max_decades: float = Field(gt=0)


class ContextSpec(_Strict):
    audience: AudienceSpec
    seniority: dict[str, float]
    relevance_weight: float = Field(ge=0)
    tone_weight: float = Field(ge=0)

    @field_validator("seniority")
    @classmethod
    def _bands_ordered(cls, value: dict[str, float]) -> dict[str, float]:

        unknown = [band for band in value if band not in SENIORITY_BANDS]
        if unknown:
            raise ValueError(f"unknown seniority bands: {', '.join(unknown)}")
        weights = [value[band] for band in SENIORITY_BANDS if band in value]
        if weights != sorted(weights):
            raise ValueError("seniority weights must not decrease from junior to senior bands")
        return value


class LexiconSpec(_Strict):
    partisan: list[Text]
    government_policy: list[Text]
    vulgar: list[Text]
    self_serving: list[Text]
    work: list[Text]
    profanity_exclusions: list[Text] = Field(default_factory=list)


class PolicySpec(_Strict):
    schema_: int = Field(alias="schema", ge=1, le=1)
    name: Text
    scoring: ScoringSpec
    context: ContextSpec
    questions: dict[str, list[Text]]
    disclaimers: list[Text]
    lexicon: LexiconSpec
    tone: list[Text]
    categories: dict[str, CategorySpec]
    benign: Exemplars

    @field_validator("categories")
    @classmethod
    def _four_categories(cls, value: dict[str, CategorySpec]) -> dict[str, CategorySpec]:
        missing = [c for c in CATEGORY_NAMES if c not in value]
        unknown = [c for c in value if c not in CATEGORY_NAMES]
        if missing or unknown:
            raise ValueError(
                f"categories must be exactly {', '.join(CATEGORY_NAMES)}"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            )
        return value

    @field_validator("questions")
    @classmethod
    def _both_languages(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang in LANGUAGES:
            if not value.get(lang):
                raise ValueError(f"questions need at least one '{lang}' entry")
        return value

    @field_validator("disclaimers")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for i, pattern in enumerate(value):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"entry {i} is not a valid regular expression: {exc}") from None
        return value


@dataclass(frozen=True)
class Policy:
    """A validated policy and the structures scoring needs."""

    spec: PolicySpec
    version: str
    path: Path

    @property
    def categories(self) -> tuple[str, ...]:
        return CATEGORY_NAMES

    def threshold(self, category: str) -> float:
        return self.spec.categories[category].threshold

    @cached_property
    def lexicon(self) -> Lexicon:
        spec = self.spec.lexicon
        excluded = {fold(w) for w in spec.profanity_exclusions}
        profanity = [w for w in profanity_words() if fold(w) not in excluded]
        return Lexicon(
            {
                "partisan": spec.partisan,
                "government_policy": spec.government_policy,
                "vulgar": [*spec.vulgar, *profanity],
                "self_serving": spec.self_serving,
                "work": spec.work,
                "tone": self.spec.tone,
            }
        )

    @cached_property
    def _disclaimers(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.IGNORECASE) for p in self.spec.disclaimers]

    def strip_disclaimers(self, text: str) -> str:
        """The text without "views are my own"-style disclaimers, whitespace tidied."""
        original = text
        for pattern in self._disclaimers:
            text = pattern.sub(" ", text)
        if text == original:
            return text.strip()
        return re.sub(r"[ \t]{2,}", " ", text).strip(" \t\n.;,|-")

    def exemplars(self, category: str) -> list[tuple[str, str]]:
        """(language, text) pairs; ``category="benign"`` gives the near misses."""
        ex = self.spec.benign if category == "benign" else self.spec.categories[category].exemplars
        return [("en", t) for t in ex.en] + [("fr", t) for t in ex.fr]


def _problem(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        lines.append(f"{where}: {error['msg']}")
    more = len(exc.errors()) - len(lines)
    return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")


def parse_policy(content: str, path: Path | str = "<policy>") -> Policy:
    """Validate policy text (YAML); raises PolicyError naming the file and the problem."""
    try:
        data = yaml.load(content, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {path} must hold a mapping at the top level")
    try:
        spec = PolicySpec.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"policy file {path} is invalid: {_problem(exc)}") from None
    version = hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]
    return Policy(spec=spec, version=f"policy-{version}", path=Path(path))


_CACHE: dict[tuple[str, float], Policy] = {}


def load_policy(path: Path | str | None = None) -> Policy:
    """The policy at ``path``, else ``Settings.policy_file``, else the shipped one (cached)."""
    if path is None:
        path = get_settings().policy_file or SHIPPED_POLICY
    path = Path(path)
    try:
        mtime = path.stat().st_mtime
        key = (str(path.resolve()), mtime)
        if key not in _CACHE:
            _CACHE[key] = parse_policy(path.read_text(encoding="utf-8"), path)
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from None
    return _CACHE[key]
