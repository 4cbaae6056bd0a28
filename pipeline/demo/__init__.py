"""The one-command demo: a synthetic registry and posts, served by the local fake platforms.

``impartial demo`` seeds the registry (idempotent), serves the posts from local fake
Mastodon, Bluesky and RSS servers, runs the ``nightly_scan`` DAG once through Airflow, prints
what was ingested, assessed and flagged, then serves the review UI.
"""
