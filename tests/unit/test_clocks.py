"""One clock for the local cloud (localcloud.clock), what the functions read of it (houqin.system_clock.SystemClock),
and the lint rule that keeps every other read of the real time out."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from houqin.settings import CLOCK_OFFSET_ENV
from houqin.system_clock import SystemClock
from localcloud import clock
from localcloud.scheduler import ScheduledEvent, Scheduler
from localcloud.sqs_poller import SqsPoller
from localcloud.template import Event, Function
from tests.conftest import ROOT

NIGHT = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 02:30 on campus


def test_the_cloud_clock_starts_at_the_instant_given_and_runs_forward():
    cloud = clock.CloudClock(NIGHT)
    first = cloud.now()
    assert timedelta(0) <= first - NIGHT < timedelta(seconds=5)
    assert cloud.now() >= first
    assert abs(cloud.offset_seconds - (NIGHT - clock.real_now()).total_seconds()) < 5
    assert abs(cloud.epoch_ms() - NIGHT.timestamp() * 1000) < 5000
    assert clock.CloudClock().offset_seconds == 0  # no --at: the real time


def test_the_cloud_clock_moves_forward_only_and_tells_who_listens():
    cloud, moved = clock.CloudClock(NIGHT), []
    cloud.on_move(lambda: moved.append(cloud.now()))
    after = cloud.move(timedelta(hours=6))
    assert timedelta(hours=6) <= after - NIGHT < timedelta(hours=6, seconds=5) and len(moved) == 1
    with pytest.raises(ValueError, match="only moves forward"):
        cloud.move(timedelta(minutes=-1))
    with pytest.raises(ValueError, match="aware"):
        clock.CloudClock(datetime(2026, 11, 23, 2, 30))  # noqa: DTZ001 - the naive value refused


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-24T02:30+08:00", NIGHT),
    ("2026-11-23T18:30:00Z", NIGHT),
    ("2026-11-24T02:30", NIGHT),  # no offset: campus time
])
def test_at_is_an_iso_instant_and_campus_time_without_an_offset(text, expected):
    assert clock.parse_at(text) == expected


def test_a_bad_at_names_the_flag():
    with pytest.raises(ValueError, match="--at 'tonight'"):
        clock.parse_at("tonight")


@pytest.mark.parametrize(("text", "expected"), [
    ("+6h", timedelta(hours=6)), ("90m", timedelta(minutes=90)), ("+1d", timedelta(days=1)),
    ("1h30m", timedelta(hours=1, minutes=30)), ("+45s", timedelta(seconds=45)), ("0.5h", timedelta(minutes=30)),
])
def test_a_step_forward(text, expected):
    assert clock.parse_delta(text) == expected


@pytest.mark.parametrize("text", ["", "-1h", "6", "6 hours", "h", "+6h-1m"])
def test_a_step_that_is_not_forward_is_refused(text):
    with pytest.raises(ValueError, match="how far forward"):
        clock.parse_delta(text)


def test_functions_add_the_offset_the_local_cloud_hands_them(monkeypatch):
    assert clock.OFFSET_ENV == CLOCK_OFFSET_ENV  # the one contract between the two
    monkeypatch.delenv(CLOCK_OFFSET_ENV, raising=False)
    real = SystemClock().now()
    assert abs(real - clock.real_now()) < timedelta(seconds=5)  # in AWS: the real time
    cloud = clock.CloudClock(NIGHT)
    monkeypatch.setenv(*next(iter(cloud.environment().items())))
    assert abs(SystemClock().now() - cloud.now()) < timedelta(seconds=1)


def function(events: dict[str, dict[str, Any]]) -> Function:
    return Function(logical_id="Checks", name="houqin-Checks", arn="arn:aws:lambda:us-east-1:1:function:houqin-Checks",
                    code_uri=ROOT, handler="app.handler", runtime="python3.12", timeout=60, memory=128,
                    environment={}, events=tuple(Event(n, e["Type"], e["Properties"]) for n, e in events.items()),
                    max_retries=0, on_failure=None, dead_letter=None)


def test_moving_the_clock_fires_each_schedule_due_in_between_once():
    cloud, fired = clock.CloudClock(NIGHT), []
    checks = function({"Morning": {"Type": "ScheduleV2", "Properties": {
        "ScheduleExpression": "cron(0 6 * * ? *)", "ScheduleExpressionTimezone": "Asia/Shanghai"}},
        "Every10": {"Type": "ScheduleV2", "Properties": {
            "ScheduleExpression": "cron(0/10 * * * ? *)", "ScheduleExpressionTimezone": "Asia/Shanghai"}}})
    scheduler = Scheduler([ScheduledEvent.of(checks, e) for e in checks.events],
                          lambda name, event: fired.append(event) or "id", "us-east-1", now=cloud.now)
    scheduler.start()
    scheduler.stop()  # its thread stopped: tick by hand
    assert scheduler.tick() == []  # 02:30: nothing due yet
    cloud.move(timedelta(hours=12))  # to 14:30: past 06:00 and many 10-minute marks
    assert len(scheduler.tick()) == 2  # each once, not once per missed occurrence
    # each carries the first moment it was due (06:00 and 02:40 campus time), as EventBridge stamps it
    assert sorted(e["time"] for e in fired) == ["2026-11-23T18:40:00Z", "2026-11-23T22:00:00Z"]
    assert scheduler.tick() == []


def test_sqs_timestamps_are_shifted_to_the_cloud_clock():
    poller = SqsPoller.__new__(SqsPoller)
    poller.clock = clock.CloudClock(NIGHT)
    real_ms = clock.real_epoch_ms()
    shifted = poller._on_cloud_clock({"SentTimestamp": str(real_ms), "ApproximateFirstReceiveTimestamp":
                                      str(real_ms), "ApproximateReceiveCount": "2", "SenderId": "x"})
    assert abs(int(shifted["SentTimestamp"]) - NIGHT.timestamp() * 1000) < 5000
    assert shifted["ApproximateFirstReceiveTimestamp"] == shifted["SentTimestamp"]
    assert shifted["ApproximateReceiveCount"] == "2" and shifted["SenderId"] == "x"


BANNED = '''from datetime import date, datetime
import time
a = datetime.now()
b = time.time()
c = date.today()
'''


def test_lint_refuses_reading_the_real_time_outside_the_two_clocks(tmp_path):
    """`make test` runs ruff first: a datetime.now() anywhere but houqin/clock.py and localcloud/clock.py fails it."""
    ruff = str(Path(sys.executable).with_name("ruff"))  # the project's, installed beside this interpreter
    (tmp_path / "reads_the_time.py").write_text(BANNED)
    found = subprocess.run([ruff, "check", "--config", str(ROOT / "pyproject.toml"), "--select", "TID251",
                            "--output-format", "concise", str(tmp_path)], capture_output=True, text=True)
    assert found.returncode == 1, found.stdout + found.stderr
    assert found.stdout.count("TID251") == 3
    clean = subprocess.run([ruff, "check", "--select", "TID251", "layers", "infra"], capture_output=True, text=True,
                           cwd=ROOT)
    assert clean.returncode == 0, clean.stdout  # the two clocks themselves may read it
