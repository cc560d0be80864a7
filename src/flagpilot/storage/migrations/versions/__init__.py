"""Alembic revisions, applied in order: schema, change triggers, row-level security."""
