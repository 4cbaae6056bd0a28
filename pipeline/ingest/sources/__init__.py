"""Platform connectors (Mastodon, Bluesky, RSS/Atom) and the HTTP client they share."""
