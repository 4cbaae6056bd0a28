"""Fine-tuning the encoder: the model itself learns the labels, not only a head on its vectors.

``recipe`` holds the settings and the cache key, ``split`` the honest held-out part (whole
sources when the rows name them), ``batches`` the length-bucketed batches, ``trainer`` the
PyTorch loop, ``estimate`` the held-out thresholds and metrics, ``folder`` the model cache,
``run`` puts them together, and ``register`` adds the result as a classifier version whose model
id is the fine-tuned model's (``ft-<key>``), for ``pipeline.classify.versions.train_version``.
"""
