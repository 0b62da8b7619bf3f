"""The health check: the version, and whether each table the template gives this function is reachable."""

from __future__ import annotations

from typing import Any

from houqin.settings import settings
from houqin.store.base import table_status


def report() -> tuple[dict[str, Any], int]:
    """The health body and its status: 200 when every table is ACTIVE, else 503 ("degraded")."""
    config = settings()
    tables = {name: table_status(physical) for name, physical in sorted(config.tables.items())}
    healthy = all(t["reachable"] for t in tables.values())
    body = {"status": "ok" if healthy else "degraded", "version": config.version, "stage": config.stage,
            "tables": tables}
    return body, 200 if healthy else 503
