"""Alembic migrations shipped inside the package (`flagpilot db upgrade` runs them)."""
