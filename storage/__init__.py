"""Persistence: SQLAlchemy models and repositories, Alembic migrations, the object store."""
