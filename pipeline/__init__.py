"""Impartial: opt-in social media impartiality monitoring."""
