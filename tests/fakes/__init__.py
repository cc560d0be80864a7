"""In-memory implementations of the storage ports, for service and API tests that need no database.

They live here, not in the package: nothing in production stands on them, and they are no part
of flagpilot's public surface.
"""
