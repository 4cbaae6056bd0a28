"""Fine-tuned models in the model cache: ``finetuned/<key>/``, a sentence-transformers folder
plus ``head.json`` (the head, the split, the held-out probabilities, how it was trained).

A folder appears whole or not at all: it is written under a temporary name beside its final
place and renamed into place (atomic on one file system), so a crash mid-write or two runs at
once never leave a half model that a later run would take for a finished one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

HEAD = "head.json"


def read_head(folder: Path) -> dict[str, Any] | None:
    """The ``head.json`` of a finished folder, or None when there is none."""
    path = folder / HEAD
    if not (path.is_file() and (folder / "modules.json").is_file()):
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def save(model: Any, head: dict[str, Any], folder: Path) -> bool:
    """Write ``model`` (``SentenceTransformer.save``) and ``head`` to ``folder``; False when
    another run finished the same folder first (its copy is kept)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        model.save(str(work), create_model_card=False)
        (work / HEAD).write_text(json.dumps(head), encoding="utf-8")
        try:
            os.rename(work, folder)
        except OSError:
            if read_head(folder) is None:
                raise
            return False
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return True
