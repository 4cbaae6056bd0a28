"""The web app's routes, one module per audience; ``api`` is the JSON API under /api."""
