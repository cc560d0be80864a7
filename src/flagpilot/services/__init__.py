"""Use cases and business rules, with ports (Protocols) for what they need from storage."""
