"""Ingestion: plan the eligible accounts by host, fetch their new posts, store posts and cursors."""
