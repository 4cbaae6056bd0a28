"""The privacy lifecycle: legal holds, consent withdrawal, purges, retention, access requests."""
