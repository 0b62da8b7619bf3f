"""Settings: the environment read once into a validated, immutable object.

Table names come from the template: every ``<NAME>_TABLE`` variable a function receives
becomes ``settings.tables["<name>"]``, so no table name is written twice. Every other variable a function
reads is a typed field here, checked when the settings are first read (a bad value is a SettingsError naming
the variable); each has the default the template also gives, so a function not configured with it (any
other function) reads the default. The one exception is the local cloud's clock offset, set per invocation
(``clock_offset_seconds``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from houqin import __version__

TABLE_SUFFIX = "_TABLE"
CLOCK_OFFSET_ENV = "HOUQIN_CLOCK_OFFSET"


class SettingsError(ValueError):
    """The environment is missing or has a malformed setting (names the variable)."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    timezone: str
    service: str
    version: str
    web_origin: str = "*"
    tables: Mapping[str, str] = field(default_factory=dict)
    queues: Mapping[str, str] = field(default_factory=dict)
    buckets: Mapping[str, str] = field(default_factory=dict)
    topics: Mapping[str, str] = field(default_factory=dict)
    worklog_deadline: time = time(23, 59)  # WORKLOG_DEADLINE: local time a day's work log is due by
    punch_max_age: timedelta = timedelta(days=7)  # PUNCH_MAX_AGE_DAYS: how far back a terminal may post
    auto_confirm_after: timedelta = timedelta(days=3)  # AUTO_CONFIRM_AFTER_DAYS: a finished repair confirms itself
    overdue_escalate_after: timedelta = timedelta(minutes=60)  # OVERDUE_ESCALATE_MINUTES: repair point -> desk
    silent_reader_after: timedelta = timedelta(minutes=15)  # SILENT_READER_MINUTES: a gate reader is silent
    payroll_worker_function: str | None = None  # PAYROLL_WORKER_FUNCTION: the worker's function name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def table(self, name: str) -> str:
        """Physical name of the table the template passes as ``<NAME>_TABLE``."""
        try:
            return self.tables[name]
        except KeyError:
            raise SettingsError(
                f"{name.upper()}{TABLE_SUFFIX} is not set: declare the table in template.yaml "
                "and pass it to the function's Environment"
            ) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        timezone = env.get("HOUQIN_TIMEZONE", "Asia/Shanghai")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"HOUQIN_TIMEZONE: unknown time zone {timezone!r}") from None
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        if not region:
            raise SettingsError("AWS_REGION: not set")
        stage = env.get("HOUQIN_STAGE", "prod")
        if not stage.replace("-", "").isalnum():
            raise SettingsError(f"HOUQIN_STAGE: {stage!r} must be letters, digits and dashes")
        return cls(
            stage=stage,
            region=region,
            timezone=timezone,
            service=env.get("POWERTOOLS_SERVICE_NAME", "houqin"),
            version=__version__,
            web_origin=env.get("HOUQIN_WEB_ORIGIN", "*"),
            tables=_suffixed(env, TABLE_SUFFIX),
            queues=_suffixed(env, "_QUEUE_URL"),
            buckets=_suffixed(env, "_BUCKET"),
            topics=_suffixed(env, "_TOPIC_ARN"),
            worklog_deadline=_local_time(env, "WORKLOG_DEADLINE", "23:59"),
            punch_max_age=timedelta(days=_whole(env, "PUNCH_MAX_AGE_DAYS", 7, 1, 366)),
            auto_confirm_after=timedelta(days=_whole(env, "AUTO_CONFIRM_AFTER_DAYS", 3, 1, 90)),
            overdue_escalate_after=timedelta(minutes=_whole(env, "OVERDUE_ESCALATE_MINUTES", 60, 1, 24 * 60)),
            silent_reader_after=timedelta(minutes=_whole(env, "SILENT_READER_MINUTES", 15, 1, 24 * 60)),
            payroll_worker_function=env.get("PAYROLL_WORKER_FUNCTION") or None,
        )


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,6}", raw) or not low <= int(raw) <= high:
        raise SettingsError(f"{name}: {raw!r} is not a whole number from {low} to {high}")
    return int(raw)


def _local_time(env: Mapping[str, str], name: str, default: str) -> time:
    raw = env.get(name, default)
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", raw):
        raise SettingsError(f"{name}: {raw!r} is not a local time HH:MM")
    return time.fromisoformat(raw)


def clock_offset_seconds() -> float:
    """Seconds the local cloud's clock runs ahead of the real time (`houqin run --at`): set for each
    invocation, so read each time rather than cached. Never set in AWS."""
    raw = os.environ.get(CLOCK_OFFSET_ENV)
    return float(raw) if raw else 0.0


def _suffixed(env: Mapping[str, str], suffix: str) -> dict[str, str]:
    found = {}
    for key, value in env.items():
        if key.endswith(suffix) and key != suffix.lstrip("_"):
            if not value:
                raise SettingsError(f"{key}: empty")
            found[key.removesuffix(suffix).lower()] = value
    return found


@cache
def settings() -> Settings:
    """The process-wide settings, read once. Tests call ``settings.cache_clear()``."""
    return Settings.from_env(os.environ)
