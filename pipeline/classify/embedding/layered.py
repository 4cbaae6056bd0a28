"""The model run in two stages, for the fast path: its first layers for every text, the rest
only for the texts that need the full model, continuing from where the first stage stopped.

``LayeredModel`` is the full model (the ``Embedder`` protocol: ``encode`` runs every layer);
``LayeredModel.screen`` is the first stage seen as an ``Embedder`` of its own, whose ``start``
also returns each text's hidden states so that ``finish`` can complete the same texts without
tokenizing or running the first layers again. BERT-style encoders with mean pooling (the
default model and its family) are supported; others get a clear error.

Precisions: ``float32`` (the PyTorch model as is: exact), ``bfloat16`` (PyTorch, where the CPU
has native bfloat16), ``int8`` (both stages as int8 ONNX Runtime sessions, see
``pipeline.classify.embedding.onnx_stages``; about 3x the float32 model's speed on 2 cores, cosine 0.99 to it)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.classify.core.vectors import normalized
from pipeline.classify.embedding.base import model_location
from pipeline.classify.embedding.layers import run_layers
from pipeline.classify.embedding.onnx_stages import OnnxStages
from pipeline.errors import InputError

SUFFIX = {"float32": "", "bfloat16": "@bf16", "int8": "@int8"}


@dataclass
class Partial:
    """Hidden states after the first stage, one ``(tokens, hidden)`` tensor per text."""

    states: list


class LayeredModel:
    """A sentence-transformers model whose transformer layers run in two stages."""

    def __init__(
        self,
        model: str,
        *,
        layers: int = 1,
        batch_size: int = 16,
        precision: str = "float32",
        cache: Path | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if precision not in SUFFIX:
            raise InputError(f"unknown fast path precision {precision!r}")
        kwargs = {"torch_dtype": torch.bfloat16} if precision == "bfloat16" else {}
        location = model_location(model)
        st = SentenceTransformer(location, device="cpu", model_kwargs=kwargs)
        transformer, pooling = st[0], st[1] if len(st) > 1 else None
        bert = getattr(transformer, "auto_model", None)
        stack = getattr(getattr(bert, "encoder", None), "layer", None)
        mode = getattr(pooling, "pooling_mode", None)
        if stack is None or not hasattr(bert, "embeddings") or mode != "mean":
            raise InputError(
                f"the fast path needs a BERT-style model with mean pooling; {model!r} is not one "
                "(set IMPARTIAL_FAST_PATH=off)"
            )
        if not 1 <= layers < len(stack):
            raise InputError(
                f"IMPARTIAL_FAST_PATH_LAYERS must be between 1 and {len(stack) - 1} for {model!r}"
            )
        self.torch = torch
        self.bert = bert
        self.first, self.rest = list(stack[:layers]), list(stack[layers:])
        self.tokenizer = transformer.tokenizer
        self.max_length = int(st.max_seq_length or 512)
        self.batch_size = batch_size
        self.onnx = None
        self.workers = 1
        self._executor: ThreadPoolExecutor | None = None
        if precision == "int8":
            self.workers = max(1, torch.get_num_threads())
            self.onnx = OnnxStages.load(bert, self.first, self.rest, cache, location, layers)
            # int8 activations are scaled per call: one text per call keeps a text's vector
            # independent of its neighbours (and wastes nothing on padding)
            self.batch_size = 1
        suffix = SUFFIX[precision]
        self.model_id = f"{model}{suffix}"[-100:]
        self.dim = int(bert.config.hidden_size)
        self.calls = 0
        self._lock = threading.Lock()
        self.screen = ScreenStage(self, f"{model}@L{layers}{suffix}"[-100:])

    # --- the two stages ------------------------------------------------------------------
    def _first(self, enc):
        mask = enc["attention_mask"]
        types = enc.get("token_type_ids")
        if types is None:
            types = self.torch.zeros_like(enc["input_ids"])
        if self.onnx is not None:
            return self.onnx.first(enc["input_ids"], mask, types)
        hidden = self.bert.embeddings(input_ids=enc["input_ids"], token_type_ids=types)
        return self._layers(hidden, mask, self.first)

    def _rest(self, hidden, mask):
        if self.onnx is not None:
            return self.onnx.rest(hidden, mask)
        return self._layers(hidden, mask, self.rest)

    def _layers(self, hidden, mask, layers):
        return run_layers(self.bert.config, hidden, mask, layers)

    @staticmethod
    def _pool(hidden, mask):
        weights = mask.unsqueeze(-1).float()
        return (hidden.float() * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)

    def _batches(self, lengths: Sequence[int]) -> list[list[int]]:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        return [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]

    def _map(self, work, batches: list[list[int]]) -> None:
        """Run ``work`` on every batch: on this thread for PyTorch (it parallelizes inside each
        product), on ``workers`` threads of one core each for ONNX Runtime, which keeps both
        cores busier on small batches than one session with two threads."""
        if self.workers > 1 and len(batches) > 1:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="layered")
            list(self._executor.map(work, batches))
        else:
            for batch in batches:
                work(batch)

    def start(self, texts: Sequence[str], *, keep: bool = True) -> tuple[np.ndarray, Partial]:
        """First-stage vectors (mean-pooled, normalized) and, with ``keep``, the states that
        ``finish`` needs."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        states: list = [None] * len(texts)
        if not texts:
            return out, Partial(states)

        def work(batch: list[int]) -> None:
            with self.torch.inference_mode():
                enc = self.tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                mask = enc["attention_mask"]
                hidden = self._first(enc)
                out[batch] = normalized(self._pool(hidden, mask).numpy())
                for row, i in enumerate(batch if keep else []):
                    states[i] = hidden[row, : int(mask[row].sum())].clone()

        with self._lock:
            self._map(work, self._batches([len(t) for t in texts]))
        return out, Partial(states)

    def finish(self, partial: Partial, rows: Sequence[int]) -> np.ndarray:
        """Full-model vectors of ``rows`` (indices into the texts given to ``start``)."""
        rows = list(rows)
        out = np.zeros((len(rows), self.dim), dtype=np.float32)
        if not rows:
            return out
        torch = self.torch
        states = [partial.states[i] for i in rows]

        def work(batch: list[int]) -> None:
            with torch.inference_mode():
                width = max(len(states[k]) for k in batch)
                hidden = torch.zeros((len(batch), width, self.dim), dtype=states[batch[0]].dtype)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, k in enumerate(batch):
                    hidden[row, : len(states[k])] = states[k]
                    mask[row, : len(states[k])] = 1
                hidden = self._rest(hidden, mask)
                out[batch] = normalized(self._pool(hidden, mask).numpy())

        with self._lock:
            self._map(work, self._batches([len(s) for s in states]))
            self.calls += len(rows)
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The full model's vectors (both stages)."""
        _, partial = self.start(texts)
        return self.finish(partial, range(len(texts)))


class ScreenStage:
    """The first stage as an ``Embedder`` (its own ``model_id``; never cached)."""

    def __init__(self, model: LayeredModel, model_id: str) -> None:
        self.model = model
        self.model_id = model_id
        self.dim = model.dim
        self.calls = 0

    def start(self, texts: Sequence[str]) -> tuple[np.ndarray, Partial]:
        self.calls += len(texts)
        return self.model.start(texts)

    def finish(self, partial: Partial, rows: Sequence[int]) -> np.ndarray:
        return self.model.finish(partial, rows)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        return self.model.start(texts, keep=False)[0]
