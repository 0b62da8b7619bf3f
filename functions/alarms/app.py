"""AlarmsFunction: the scheduled checks. Each schedule in template.yaml passes ``{"check": "<module>"}``
(a module of houqin/checks/); ``houqin fire AlarmsFunction [--schedule NightRoll]`` runs them now."""

from __future__ import annotations

from typing import Any

from houqin import checks
from houqin.clock import Clock
from houqin.observability import logger, tracer
from houqin.system_clock import SystemClock

clock: Clock = SystemClock()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    name = (event or {}).get("check")
    summary = checks.run(name, clock.now())
    logger.info("check done", extra={"check": name, **summary})
    return {"check": name, **summary}
