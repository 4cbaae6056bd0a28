"""Sentence embeddings: the sentence-transformers model, a fake twin, the pgvector cache, and the
fast path's two-stage model (PyTorch or int8 ONNX Runtime).
"""
