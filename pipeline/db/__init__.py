"""Storage: SQLAlchemy models, engine and unit of work, embedded PostgreSQL, migrations."""
