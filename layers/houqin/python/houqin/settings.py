"""Settings: the environment read once into a validated, immutable object.

Table names come from the template: every ``<NAME>_TABLE`` variable a function receives
becomes ``settings.tables["<name>"]``, so no table name is written twice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from houqin import __version__

TABLE_SUFFIX = "_TABLE"


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
        )


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
