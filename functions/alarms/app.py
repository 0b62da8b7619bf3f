"""AlarmsFunction: the scheduled checks. Each schedule in template.yaml passes ``{"check": "<module>"}``
(a module of houqin/checks/); ``houqin fire AlarmsFunction [--schedule NightRoll]`` runs them now."""

from __future__ import annotations

from typing import Any

from houqin import checks
from houqin.observability import logger, tracer
from houqin.services.alarms import Alarms

service = Alarms()  # tests swap this one instance (a pinned clock, fakes); it makes no client until used


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    name = (event or {}).get("check")
    summary = checks.run(name, service)
    logger.info("check done", extra={"check": name, **summary})
    return {"check": name, **summary}
