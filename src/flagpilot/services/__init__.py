"""Use cases and business rules, with ports (Protocols) for what they need from storage."""

__all__: list[str] = []  # the services are used from their packages (flags, rollouts, ...)
