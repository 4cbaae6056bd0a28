"""Compliance reports: the SQL in ``sql/reports`` run over a period, and their audited views."""
