"""The append-only audit trail: writing it (``trail``) and reading it (``search``)."""
