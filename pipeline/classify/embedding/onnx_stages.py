"""The two stages of ``pipeline.classify.embedding.layered.LayeredModel`` as int8 ONNX Runtime sessions.

The PyTorch stages are exported once per model (``torch.onnx``), their weights quantized to int8
per channel (``onnxruntime.quantization.quantize_dynamic``; activations are quantized per batch
at run time, so no calibration data is needed), and the two files cached in the model cache
(``Settings.model_cache``) by a key of the model folder, the split and the library versions. A later
process loads the cached files in about a second.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pipeline.classify.embedding.layers import run_layers

FORMAT = "1"  # bump when what is exported changes


def cache_key(location: str, layers: int) -> str:
    """Key of an export: the model folder (its path and file sizes), the split, the versions."""
    import onnxruntime
    import torch
    import transformers

    parts = [FORMAT, str(layers), torch.__version__, transformers.__version__]
    parts.append(onnxruntime.__version__)
    folder = Path(location)
    if folder.is_dir():
        parts.append(str(folder.resolve()))
        parts += [f"{p.name}:{p.stat().st_size}" for p in sorted(folder.rglob("*")) if p.is_file()]
    else:
        parts.append(location)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@contextmanager
def _quiet():
    """No exporter deprecation notes or quantizer advice in command output."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def _export(bert, first, rest, folder: Path) -> None:
    """Write ``first.onnx`` and ``rest.onnx`` (int8) into ``folder``."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class First(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = bert.embeddings
            self.layers = torch.nn.ModuleList(first)

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
            return run_layers(bert.config, hidden, attention_mask, self.layers)

    class Rest(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(rest)

        def forward(self, hidden, attention_mask):
            return run_layers(bert.config, hidden, attention_mask, self.layers)

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    dims = {0: "batch", 1: "tokens"}
    with torch.no_grad(), _quiet():
        hidden = First()(ids, mask, types)
        for name, module, args, inputs in (
            (
                "first",
                First(),
                (ids, mask, types),
                ["input_ids", "attention_mask", "token_type_ids"],
            ),
            ("rest", Rest(), (hidden, mask), ["hidden", "attention_mask"]),
        ):
            plain = folder / f"{name}.fp32.onnx"
            torch.onnx.export(
                module,
                args,
                str(plain),
                input_names=inputs,
                output_names=["hidden_out"],
                dynamic_axes={n: dims for n in [*inputs, "hidden_out"]},
                opset_version=17,
                dynamo=False,
            )
            quantize_dynamic(
                plain, folder / f"{name}.onnx", weight_type=QuantType.QInt8, per_channel=True
            )
            plain.unlink()


def exported(bert, first, rest, cache: Path | None, key: str) -> tuple[Path, bool]:
    """The folder holding the int8 stages, exporting them on first use, and whether it is a
    temporary one (no ``cache``, or one that cannot be written). Exports go to a temporary
    folder first and are renamed into place, so a crash or a second process never leaves half
    a model behind."""
    if cache is not None and (cache / key / "rest.onnx").exists():
        return cache / key, False
    try:
        if cache is None:
            raise OSError("no model cache")
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache))
    except OSError:
        work = Path(tempfile.mkdtemp(prefix="impartial-onnx-"))
        _export(bert, first, rest, work)
        return work, True
    target = cache / key
    try:
        _export(bert, first, rest, work)
        os.replace(work, target)
    except OSError:
        if not (target / "rest.onnx").exists():  # not a rename lost to another process
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target, False


class OnnxStages:
    """``first(ids, mask, types)`` and ``rest(hidden, mask)`` on int8 sessions (torch in and out,
    shared memory both ways)."""

    def __init__(self, folder: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Two sessions take turns on the same cores: idle threads must sleep, not spin.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = ["CPUExecutionProvider"]
        self._first = ort.InferenceSession(str(folder / "first.onnx"), options, providers=providers)
        self._rest = ort.InferenceSession(str(folder / "rest.onnx"), options, providers=providers)

    @classmethod
    def load(cls, bert, first, rest, cache: Path | None, location: str, layers: int):
        """Sessions of the cached export (made first where missing), one core each."""
        folder, temporary = exported(bert, first, rest, cache, cache_key(location, layers))
        try:
            return cls(folder, threads=1)
        finally:
            if temporary:  # the sessions hold the model now
                shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _np(tensor) -> np.ndarray:
        return np.ascontiguousarray(tensor.numpy())

    def first(self, input_ids, attention_mask, token_type_ids):
        import torch

        feeds = {
            "input_ids": self._np(input_ids),
            "attention_mask": self._np(attention_mask),
            "token_type_ids": self._np(token_type_ids),
        }
        return torch.from_numpy(self._first.run(None, feeds)[0])

    def rest(self, hidden, attention_mask):
        import torch

        feeds = {"hidden": self._np(hidden.float()), "attention_mask": self._np(attention_mask)}
        return torch.from_numpy(self._rest.run(None, feeds)[0])
