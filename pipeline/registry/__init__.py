"""The registry: people, accounts, the consent ledger and account handles: who may be scanned, and why."""
