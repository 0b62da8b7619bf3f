"""The local cloud: one process that runs a SAM template on 127.0.0.1.

AWS endpoint (moto server) with the template's resources, API gateway, Lambda endpoint,
MQTT broker with the IoT rules, SQS pollers, scheduler and the web files. ``LocalCloud``
is used by ``houqin run`` and, with a test template and ephemeral ports, by the e2e tests.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import tempfile
import threading
import time
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from localcloud import build, motofixes
from localcloud.clock import CloudClock
from localcloud.gateway import Gateway, RouteTable
from localcloud.identity import DEFAULT_KEY_FILE, DevKey, UserPoolIssuer
from localcloud.invoker import AsyncInvoker
from localcloud.lambda_api import LambdaService
from localcloud.mqtt import MqttBroker, RuleBridge, TopicRule
from localcloud.resources import create_all
from localcloud.runtime import FunctionRuntime, Invocation, lambda_environment
from localcloud.scheduler import Scheduler, scheduled_events
from localcloud.sqs_poller import SqsPoller
from localcloud.template import Template

log = logging.getLogger("localcloud")


class PortBusy(RuntimeError):
    pass


@dataclass
class Ports:
    """0 means "any free port" (tests); the defaults are what `make run` uses."""

    aws: int = int(os.environ.get("HOUQIN_AWS_PORT", 4566))
    api: int = int(os.environ.get("HOUQIN_API_PORT", 3000))
    lambda_: int = int(os.environ.get("HOUQIN_LAMBDA_PORT", 3001))
    mqtt: int = int(os.environ.get("HOUQIN_MQTT_PORT", 1883))
    web: int = int(os.environ.get("HOUQIN_WEB_PORT", 8000))

    ENV = {"aws": "HOUQIN_AWS_PORT", "api": "HOUQIN_API_PORT", "lambda_": "HOUQIN_LAMBDA_PORT",
           "mqtt": "HOUQIN_MQTT_PORT", "web": "HOUQIN_WEB_PORT"}


@dataclass
class CloudConfig:
    template: Path = Path("template.yaml")
    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)
    region: str = os.environ.get("HOUQIN_REGION", "us-east-1")
    stack: str = "houqin"
    parameters: dict[str, str] = field(default_factory=dict)  # template parameter overrides
    web_dir: Path | None = Path("web")
    demo: bool = False
    key_file: Path = DEFAULT_KEY_FILE
    retry_delays: tuple[float, ...] = (1.0, 2.0)
    max_concurrency: int = 4
    moto_fixes: bool = True  # answer index lookups from the items concerned (localcloud.motofixes)
    at: datetime | None = None  # start the cloud's clock at this instant (localcloud.clock); None: the real time
    build_dir: Path = build.BUILD_DIR  # layers built for this machine (localcloud.build)
    iam: bool = True  # every AWS call a function makes is checked against its role (localcloud.iam)


class LocalCloud:
    def __init__(self, config: CloudConfig) -> None:
        self.config = config
        self.urls: dict[str, str] = {}
        self.ports: dict[str, int] = {}
        self.demo_counts: dict[str, int] = {}
        self.demo_users: list[Any] = []
        self.start_errors: dict[str, str] = {}  # functions whose handler cannot be imported, and why
        self._servers: list[ThreadingHTTPServer] = []
        self._stoppers: list[Any] = []
        self.startup_seconds = 0.0
        self.clock = CloudClock(config.at)

    # ------------------------------------------------------------ start
    def start(self) -> LocalCloud:
        started = time.monotonic()
        cfg = self.config
        for name, port in vars(cfg.ports).items():
            _check_port(cfg.host, port, name)
        try:
            self._start(cfg)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _start(self, cfg: CloudConfig) -> None:
        self._enter(motofixes.faithful())
        if cfg.moto_fixes:
            self._enter(motofixes.fixed())
        moto = ThreadedMotoServer(ip_address=cfg.host, port=cfg.ports.aws, verbose=False)
        moto.start()
        self._stoppers.append(moto.stop)
        self.ports["aws"] = moto._server.server_port  # noqa: SLF001 - the port actually bound
        endpoint = self.urls["aws"] = f"http://{cfg.host}:{self.ports['aws']}"

        template = self.template = Template.load(cfg.template, endpoint=endpoint, region=cfg.region,
                                                  stack=cfg.stack, parameters=dict(cfg.parameters))
        self.created = create_all(template)

        lambda_server = self._serve("lambda", cfg.ports.lambda_, None)
        self.urls["lambda"] = f"http://{cfg.host}:{self.ports['lambda']}"
        self.functions = {f.logical_id: f for f in template.functions()}
        policies = self._policies(template) if cfg.iam else {}
        self.runtimes = {}
        for logical, f in self.functions.items():
            environment = lambda_environment(f, build.python_path(f, cfg.build_dir), region=cfg.region,
                                             endpoint=endpoint, lambda_endpoint=self.urls["lambda"])
            if logical in policies:
                environment["HOUQIN_IAM_POLICY"] = str(policies[logical])
            self.runtimes[logical] = FunctionRuntime(f, environment, cfg.max_concurrency, self.clock)
        self._stoppers.append(lambda: [r.close() for r in self.runtimes.values()])
        warming = [threading.Thread(target=self._warm, args=(r,), daemon=True) for r in self.runtimes.values()]
        for thread in warming:
            thread.start()

        self.invoker = AsyncInvoker(template, self.functions, self.invoke, cfg.retry_delays, self.clock)
        self._stoppers.append(self.invoker.close)
        self.scheduler = Scheduler(scheduled_events(list(self.functions.values())), self.invoker.submit,
                                   cfg.region, now=self.clock.now)
        self.clock.on_move(self.scheduler.wake)
        lambda_server.RequestHandlerClass = LambdaService(self.functions, self.runtimes, self.invoker,
                                                          self.scheduler, self.clock).handler_class()

        key = DevKey.load_or_create(cfg.key_file)
        routes = template.routes()
        self.issuers = {pool: UserPoolIssuer.for_template(template, key, pool)
                        for pool in template.of_type("AWS::Cognito::UserPool")}
        apis = {r.api for r in routes}
        gateway = Gateway(RouteTable(routes), self.invoke, self.issuers,
                          {api: template.cors(api) for api in apis}, {api: template.stage(api) for api in apis},
                          {api: template.ref(api) for api in apis if api in template.resources}, self.clock,
                          {api: template.binary_media_types(api) for api in apis})
        self._serve("api", cfg.ports.api, gateway.handler_class())
        self.urls["api"] = f"http://{cfg.host}:{self.ports['api']}"

        rules = [r for logical in template.of_type("AWS::IoT::TopicRule")
                 if (r := TopicRule.from_template(template, logical))]
        if rules or cfg.ports.mqtt:
            broker = MqttBroker(cfg.host, cfg.ports.mqtt or free_port(cfg.host))
            broker.start()
            self._stoppers.append(broker.stop)
            self.ports["mqtt"] = broker.port
            self.urls["mqtt"] = f"mqtt://{cfg.host}:{broker.port}"
            self.bridge = RuleBridge(template, rules, cfg.host, broker.port, self.clock)
            self.bridge.start()
            self._stoppers.append(self.bridge.stop)

        self.pollers = [SqsPoller(template, f, e, self.invoke, self.clock)
                        for f in self.functions.values() for e in f.events_of("SQS")]
        for poller in self.pollers:
            poller.start()
            self._stoppers.append(poller.stop)
        self.scheduler.start()
        self._stoppers.append(self.scheduler.stop)

        if cfg.demo:
            self._load_demo()
        if cfg.web_dir is not None:
            self._serve_web(cfg)
        for thread in warming:
            thread.join()

    def _policies(self, template: Template) -> dict[str, Path]:
        """Each function's role as a file its worker checks calls against (localcloud.iam_policy)."""
        from localcloud.iam_policy import write_policies

        folder = tempfile.TemporaryDirectory(prefix="houqin-iam-")
        self._stoppers.append(folder.cleanup)
        return write_policies(template, Path(folder.name))

    def _warm(self, runtime: FunctionRuntime) -> None:
        if problem := runtime.warm():  # its handler does not import with its own packages: it would fail in AWS
            self.start_errors[runtime.function.logical_id] = problem

    def _load_demo(self) -> None:
        from localcloud import demo

        # The store's models read table names and the endpoint from the environment, exactly as
        # in a function: give this process the template's Globals environment.
        globals_env = ((self.template.doc.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
        os.environ.update({k: str(v) for k, v in self.template.resolve(globals_env.get("Variables") or {}).items()})
        os.environ.update({"AWS_ENDPOINT_URL": self.urls["aws"], "AWS_REGION": self.config.region,
                           "AWS_DEFAULT_REGION": self.config.region, "AWS_ACCESS_KEY_ID": "local",
                           "AWS_SECRET_ACCESS_KEY": "local"})
        data = demo.generate()
        self.demo_counts = demo.load(data, now=self.clock.now())
        self.demo_users = data.users

    def _serve_web(self, cfg: CloudConfig) -> None:
        from localcloud.web import web_handler

        users = {u.person_id: u for u in self.demo_users}

        def mint(person_id: str) -> str | None:
            user = users.get(person_id)
            return self.demo_token(user) if user and self.issuers else None

        def config() -> dict[str, Any]:  # `now`: the pages tick with the cloud's clock (web/js/config.js)
            return {"apiUrl": self.urls["api"], "auth": "local", "now": self.clock.epoch_ms()}

        handler = web_handler(cfg.web_dir.resolve(), config,
                              [{"role": u.role, "person_id": u.person_id, "name": u.name, "note": u.note}
                               for u in self.demo_users], mint)
        self._serve("web", cfg.ports.web, handler)
        self.urls["web"] = f"http://{cfg.host}:{self.ports['web']}"

    def _enter(self, context: AbstractContextManager[Any]) -> None:
        """Enter a context for the cloud's lifetime: ``stop`` leaves it."""
        context.__enter__()
        self._stoppers.append(lambda: context.__exit__(None, None, None))

    def _serve(self, name: str, port: int, handler: Any) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer((self.config.host, port), handler)
        server.daemon_threads = True
        self.ports[name] = server.server_port
        threading.Thread(target=server.serve_forever, name=f"http-{name}", daemon=True).start()
        self._servers.append(server)
        self._stoppers.append(server.shutdown)
        return server

    # ------------------------------------------------------------ use
    def invoke(self, logical_id: str, event: Any) -> Invocation:
        return self.runtimes[logical_id].invoke(event)

    def mint_token(self, person_id: str, roles: list[str], **claims: Any) -> str:
        """A token of the template's (first) user pool, as the deployed sign-in would issue."""
        issuer = next(iter(self.issuers.values()))
        return issuer.mint(person_id=person_id, roles=roles, now=self.clock.timestamp(), **claims)

    def demo_token(self, user: Any) -> str:
        """The token of a demo login (localcloud.demo.DemoUser)."""
        return self.mint_token(user.person_id, [user.role], name=user.name, child_ids=list(user.child_ids))

    def stop(self) -> None:
        for stop in reversed(self._stoppers):
            with suppress(Exception):
                stop()
        for server in self._servers:
            with suppress(Exception):
                server.server_close()
        self._stoppers.clear()
        self._servers.clear()

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _check_port(host: str, port: int, name: str) -> None:
    if not port:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            env = Ports.ENV[name]
            raise PortBusy(f"port {port} ({name.rstrip('_')}) on {host} is busy: stop what uses it, "
                           f"or choose another with {env}=<port> or --{name.rstrip('_')}-port") from None


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for ephemeral services and tests)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
