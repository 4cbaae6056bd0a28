"""Running hidden states through a BERT-style model's transformer layers: what both the PyTorch
stages and their ONNX export execute.
"""

from __future__ import annotations


def run_layers(config, hidden, mask, layers):
    """``hidden`` through transformer ``layers`` (BERT-style), padding masked out by ``mask``."""
    from transformers.masking_utils import create_bidirectional_mask

    full_mask = create_bidirectional_mask(config=config, inputs_embeds=hidden, attention_mask=mask)
    for layer in layers:
        hidden = layer(hidden, full_mask)
    return hidden
