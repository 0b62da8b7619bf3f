"""Use cases: load, check who may, apply a domain rule, write. HTTP handlers and schedules call these."""
