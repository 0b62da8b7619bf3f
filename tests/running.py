"""`houqin run` (what `make run` starts) in a subprocess on free ports, with demo data, for the tests that use
the whole system over HTTP as its users do: the browser tests and the API contract tests. A subprocess keeps
this process's environment the unit tests'."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from localcloud.cloud import free_port
from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT = 240.0  # ~35 s alone; longer beside the e2e tests' cloud starting on the other worker


@dataclass(frozen=True)
class RunningHouqin:
    web: str  # base URL of the web UI
    api: str
    lambda_: str  # the Lambda endpoint (``/_local/fire/<Function>/<Schedule>`` runs a schedule now)
    users: list[dict[str, Any]]  # the demo logins: {role, person_id, name, note}

    def now(self) -> datetime:
        """The cloud's time (it started at its ``--at`` and runs forward)."""
        return datetime.fromisoformat(get_json(f"{self.lambda_}/_local/clock")["now"])

    def demo_user(self, who: str) -> dict[str, Any]:
        """The demo login with this person id, or the first one of this role."""
        for user in self.users:
            if who in (user["person_id"], user["role"]):
                return user
        raise LookupError(f"no demo user or role {who!r}")

    def token(self, person_id: str) -> str:
        """A demo user's ID token, as the web page's demo sign-in gets it."""
        return get_json(f"{self.web}/_local/token?person_id={person_id}")["token"]

    def mint(self, role: str, person_id: str) -> str:
        """An ID token for any identity (`houqin token`), e.g. a fingerprint terminal's (role device)."""
        command = [sys.executable, "-m", "localcloud.cli", "token", "--role", role, "--as", person_id,
                   "--lambda-url", self.lambda_]
        return subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        return json.load(response)


def run_houqin(at: datetime, log_name: str) -> Iterator[RunningHouqin]:
    """Start `houqin run --at <at>` with demo data, yield it once its web server answers (it starts last, after
    the demo data is loaded), and stop it with Ctrl-C after. Its output goes to test-artifacts/<log_name>."""
    ports = {name: free_port() for name in ("aws", "api", "lambda", "mqtt", "web")}
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / log_name
    command = [sys.executable, "-m", "localcloud.cli", "run", "--at", at.isoformat()] + [
        arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    web, api = f"http://127.0.0.1:{ports['web']}", f"http://127.0.0.1:{ports['api']}"
    deadline = time.monotonic() + START_TIMEOUT
    users: list[dict[str, Any]] = []
    while not users:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = "".join(log_path.read_text(errors="replace").splitlines(keepends=True)[-40:])
            pytest.fail(f"the local cloud did not come up within {START_TIMEOUT:.0f} s:\n{tail}")
        try:
            users = get_json(f"{web}/_local/demo-users")["users"]
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.5)
    try:
        yield RunningHouqin(web=web, api=api, lambda_=f"http://127.0.0.1:{ports['lambda']}", users=users)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: stops its workers and servers
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
