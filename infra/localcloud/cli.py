"""``houqin``: run the local cloud, mint dev tokens, fire schedules.

  houqin run [--template template.yaml] [--api-port 3000 ...] [--no-demo] [--at 2026-11-23T21:30+08:00]
  houqin token --role student --as S00001 [--child S00001] [--name 秦鹏] [--hours 12]
  houqin fire AlarmsFunction [--schedule NightRoll]
  houqin clock [+6h]
  houqin deploy-check [--template template.yaml]
  houqin openapi [--write]                   # the API contract: check it is current, or write it
  houqin import --template campus.xlsx       # the empty workbook; houqin import campus.xlsx [--stack NAME] loads it
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from localcloud.clock import AT_ENV, CAMPUS_TZ, parse_at
from localcloud.template import TemplateError

PORT_FLAGS = {"aws": "aws", "api": "api", "lambda": "lambda_", "mqtt": "mqtt", "web": "web"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="houqin", description="Houqin's local cloud and dev tools")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the template on 127.0.0.1 until Ctrl-C")
    run.add_argument("--template", type=Path, default=Path("template.yaml"))
    run.add_argument("--no-demo", action="store_true", help="start without demo data")
    run.add_argument("--web", type=Path, default=Path("web"), help="static files to serve")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="a template parameter (default: Stage=local when the template has Stage)")
    run.add_argument("--at", default=os.environ.get(AT_ENV), metavar="TIME",
                     help="start the cloud's clock at this instant, e.g. 2026-11-23T21:30+08:00 (campus time when "
                          f"no offset is given; default ${AT_ENV}, else now); it runs forward from there")
    for flag in PORT_FLAGS:
        run.add_argument(f"--{flag}-port", type=int, default=None, help=f"port of the {flag} endpoint")

    token = commands.add_parser("token", help="print a dev ID token the local gateway accepts")
    token.add_argument("--role", required=True, action="append", help="a role (Cognito group); repeatable")
    token.add_argument("--as", dest="person_id", required=True, help="the person's id")
    token.add_argument("--child", action="append", default=[], help="a parent's child id; repeatable")
    token.add_argument("--name", default="")
    token.add_argument("--hours", type=float, default=12.0)
    token.add_argument("--template", type=Path, default=Path("template.yaml"))
    token.add_argument("--lambda-url", default=None,
                       help="a running local cloud whose clock issues the token (default from HOUQIN_LAMBDA_PORT; "
                            "the real time when none answers)")

    fire = commands.add_parser("fire", help="fire a function's schedule now, in the running local cloud")
    fire.add_argument("function", help="logical id (e.g. AlarmsFunction) or function name")
    fire.add_argument("--schedule", default=None, help="only this schedule (the event's name, e.g. NightRoll)")
    fire.add_argument("--lambda-url", default=None, help="the local Lambda endpoint (default from HOUQIN_LAMBDA_PORT)")

    clock = commands.add_parser("clock", help="show the running local cloud's time, or move it forward")
    clock.add_argument("forward", nargs="?", default=None, help="how far forward: +6h, +90m, +1d, +1h30m")
    clock.add_argument("--lambda-url", default=None, help="the local Lambda endpoint (default from HOUQIN_LAMBDA_PORT)")

    check = commands.add_parser("deploy-check", help="what can be proved about a deployment without AWS "
                                "(translate + lint, queue timeouts, handler imports, package sizes)")
    check.add_argument("--template", type=Path, default=Path("template.yaml"))

    contract = commands.add_parser("openapi", help="check the committed OpenAPI document against the routes' "
                                   "declarations, or --write it")
    contract.add_argument("--write", action="store_true", help="write functions/health/openapi.json")
    contract.add_argument("--template", type=Path, default=Path("template.yaml"))

    publish = commands.add_parser("publish-web", help="put web/ and its config.json on a deployed stack")
    publish.add_argument("--stack", required=True, help="the CloudFormation stack (sam deploy's stack name)")
    publish.add_argument("--web", type=Path, default=Path("web"), help="the pages to publish")

    load = commands.add_parser("import", help="load a real campus from a workbook: check every row, then write "
                                              "all of it or nothing (docs/deploy.md)")
    load.add_argument("file", nargs="?", type=Path, help="the filled workbook (.xlsx)")
    load.add_argument("--template", dest="workbook_template", type=Path, metavar="FILE.xlsx",
                      help="write the empty workbook (Chinese headers, a note per sheet) and stop")
    load.add_argument("--stack", default=None, help="a deployed stack (sam deploy's name); default: the running "
                                                    "local cloud")
    load.add_argument("--check", action="store_true", help="check the workbook only (no AWS needed)")
    load.add_argument("--sam-template", type=Path, default=Path("template.yaml"),
                      help="the template (which tables the stores use)")
    load.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                      help="a template parameter the local cloud was started with")
    args = parser.parse_args(argv)
    try:
        return {"run": _run, "token": _token, "fire": _fire, "clock": _clock,
                "publish-web": _publish_web, "deploy-check": _deploy_check,
                "openapi": _openapi, "import": _import}[args.command](args)
    except (TemplateError, RuntimeError, OSError, ValueError) as exc:
        print(f"houqin {args.command}: {exc}", file=sys.stderr)
        return 2


def _openapi(args: argparse.Namespace) -> int:
    from localcloud import openapi

    return openapi.run(args.template, write=args.write)


def _deploy_check(args: argparse.Namespace) -> int:
    from localcloud import build, deploy_check

    return deploy_check.run(args.template, build.BUILD_DIR)


def _run(args: argparse.Namespace) -> int:
    from localcloud.cloud import CloudConfig, LocalCloud, Ports
    from localcloud.template import load_yaml

    _configure_logging()
    ports = Ports()
    for flag, field in PORT_FLAGS.items():
        value = getattr(args, f"{flag}_port")
        if value is not None:
            setattr(ports, field, value)
    parameters = dict(p.split("=", 1) for p in args.param if "=" in p)
    if "Stage" in (load_yaml(args.template).get("Parameters") or {}):
        parameters.setdefault("Stage", "local")
    config = CloudConfig(template=args.template, ports=ports, demo=not args.no_demo, parameters=parameters,
                         web_dir=args.web if args.web.is_dir() else None, at=parse_at(args.at) if args.at else None)
    print("houqin: starting the local cloud ...", flush=True)
    cloud = LocalCloud(config).start()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(banner(cloud), flush=True)
    stop.wait()
    print("houqin: stopping ...", flush=True)
    cloud.stop()
    return 0


def banner(cloud) -> str:  # noqa: ANN001 - a LocalCloud (imported lazily)
    now = cloud.clock.now().astimezone(CAMPUS_TZ)
    lines = ["", "=" * 78, f"  Houqin local cloud is up ({cloud.startup_seconds:.1f}s) — Ctrl-C stops everything",
             "=" * 78,
             f"  Cloud time ........ {now:%Y-%m-%d %H:%M:%S} campus time"
             + (" (from --at; `houqin clock +6h` moves it forward)" if cloud.clock.offset_seconds else
                " (the real time; `houqin run --at ...` starts at another)")]
    web = cloud.urls.get("web")
    if web:
        lines.append(f"  Web UI ............ {web}/")
    lines += [
        f"  API ............... {cloud.urls['api']}   (try {cloud.urls['api']}/health)",
        f"  MQTT (gate readers)  {cloud.urls.get('mqtt', '-')}   topic houqin/gates/<reader_id>/swipes",
        f"  AWS endpoint ...... {cloud.urls['aws']}   (moto; AWS_ENDPOINT_URL=... with any credentials)",
        f"  Lambda endpoint ... {cloud.urls['lambda']}   (houqin fire <Function> fires a schedule now)",
        "",
        "  Resources from template.yaml: " + ", ".join(f"{len(v)} {k}" for k, v in cloud.created.items()),
        "  Functions: " + ", ".join(f"{f.logical_id}" for f in cloud.functions.values()),
        "  Routes: " + ", ".join(f"{r.method} {r.path}{'' if r.authorizer else ' (public)'}"
                                 for r in cloud.template.routes()),
    ]
    if cloud.demo_counts:
        lines += ["", "  Demo data: " + ", ".join(f"{n} {k}" for k, n in sorted(cloud.demo_counts.items()))]
    if cloud.demo_users and cloud.issuers:
        lines += ["", "  Demo logins (pick one on the web page, or send the token as 'Authorization: Bearer ...'):"]
        for user in cloud.demo_users:
            token = cloud.demo_token(user)
            lines.append(f"  - {user.role:<12} {user.person_id:<8} {user.name} ({user.note})")
            lines.append(f"    {token}")
        lines.append("  Any other: houqin token --role <role> --as <person_id> [--child <id>]")
    if cloud.start_errors:  # each would fail the same way in AWS: its layers lack what it imports
        lines += ["", "  FUNCTIONS THAT CANNOT START (their invocations fail):"]
        lines += [f"  ! {problem}" for _, problem in sorted(cloud.start_errors.items())]
    lines.append("=" * 78)
    return "\n".join(lines)


def _token(args: argparse.Namespace) -> int:
    from houqin.auth import Role
    from localcloud.identity import DevKey, UserPoolIssuer
    from localcloud.template import Template

    unknown = [r for r in args.role if r not in {role.value for role in Role}]
    if unknown:
        print(f"houqin token: unknown role {unknown[0]!r}; roles: {', '.join(r.value for r in Role)}",
              file=sys.stderr)
        return 2
    template = Template.load(args.template, region=_region())
    issuer = UserPoolIssuer.for_template(template, DevKey.load_or_create())
    running = _cloud_clock(args.lambda_url, quiet=True)
    print(issuer.mint(person_id=args.person_id, roles=args.role, name=args.name, child_ids=args.child,
                      hours=args.hours, now=parse_at(running["now"]).timestamp() if running else None))
    return 0


def _lambda_url(explicit: str | None) -> str:
    from localcloud.cloud import Ports

    return explicit or f"http://127.0.0.1:{Ports().lambda_}"


def _cloud_clock(lambda_url: str | None, forward: str | None = None, quiet: bool = False) -> dict | None:
    """The running cloud's clock (moved forward first when ``forward`` is given); None when none answers."""
    url = _lambda_url(lambda_url) + "/_local/clock"
    data = json.dumps({"forward": forward}).encode() if forward else None
    request = urllib.request.Request(url, method="POST" if data else "GET", data=data)  # noqa: S310 - local URL
    try:
        with urllib.request.urlopen(request, timeout=2 if quiet else 10) as response:  # noqa: S310 - local URL
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise ValueError(json.load(exc).get("message", str(exc))) from None
    except (urllib.error.URLError, OSError) as exc:
        if quiet:
            return None
        raise RuntimeError(f"the local cloud is not running at {url} ({getattr(exc, 'reason', exc)}); "
                           "start it with make run") from None


def _clock(args: argparse.Namespace) -> int:
    running = _cloud_clock(args.lambda_url, forward=args.forward)
    print(f"{running['campus']} campus time ({running['now']}; {running['offsetSeconds']:+.0f} s from the real time)")
    return 0


def _fire(args: argparse.Namespace) -> int:
    url = _lambda_url(args.lambda_url) + f"/_local/fire/{args.function}"
    if args.schedule:
        url += f"/{args.schedule}"
    request = urllib.request.Request(url, method="POST", data=b"")  # noqa: S310 - a local http URL
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a local http URL
            print(json.dumps(json.load(response), ensure_ascii=False))
            return 0
    except urllib.error.HTTPError as exc:
        print(f"houqin fire: {json.load(exc).get('message', exc)}", file=sys.stderr)
    except urllib.error.URLError as exc:
        print(f"houqin fire: the local cloud is not running at {url} ({exc.reason}); start it with make run",
              file=sys.stderr)
    return 1


def _publish_web(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from localcloud.publish_web import deployed_config, publish, stack_outputs

    try:
        outputs = stack_outputs(boto3.client("cloudformation"), args.stack)
        config = deployed_config(outputs)
        done = publish(args.web, outputs["WebBucketName"], config, boto3.client("s3"))
    except (BotoCoreError, ClientError) as exc:
        raise RuntimeError(str(exc)) from None
    print(f"houqin publish-web: {done['uploaded']} files in {outputs['WebBucketName']} "
          f"({done['deleted']} stale removed); the pages are at {config['redirectUri']}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from localcloud import campus_import

    if args.workbook_template:
        campus_import.write_template(args.workbook_template)
        print(f"houqin import: wrote {args.workbook_template} ({len(campus_import.SHEETS)} sheets: "
              f"{', '.join(s.title for s in campus_import.SHEETS)}); fill it in from row 3")
        return 0
    if args.file is None:
        raise ValueError("name the workbook to load (or --template FILE.xlsx to write an empty one)")
    if args.check:
        _, problems = campus_import.check(args.file)
        for problem in problems:
            print(problem)
        print(f"houqin import: {len(problems)} problem(s)" if problems else "houqin import: every row passes")
        return 1 if problems else 0
    from datetime import datetime

    from localcloud.template import Template

    template = Template.load(args.sam_template, parameters=dict(p.split("=", 1) for p in args.param))
    globals_env = ((template.doc.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
    variables = globals_env.get("Variables") or {}
    pool_id = None
    if args.stack:
        import boto3

        from localcloud.publish_web import stack_outputs

        cloudformation = boto3.client("cloudformation")
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in
                    cloudformation.describe_stack_resources(StackName=args.stack)["StackResources"]}
        os.environ.update({name: physical[value["Ref"]] for name, value in variables.items()
                           if isinstance(value, dict) and value.get("Ref") in physical})
        pool_id = stack_outputs(cloudformation, args.stack).get("UserPoolId")
        from houqin.system_clock import SystemClock

        now = SystemClock().now()  # nothing sets HOUQIN_CLOCK_OFFSET here: the real time
    else:
        from localcloud.cloud import Ports

        running = _cloud_clock(None)  # the running cloud's time (its error says how to start it)
        os.environ.update({k: str(v) for k, v in template.resolve(variables).items()})
        os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{Ports().aws}", "AWS_REGION": _region(),
                           "AWS_DEFAULT_REGION": _region(), "AWS_ACCESS_KEY_ID": "local",
                           "AWS_SECRET_ACCESS_KEY": "local"})
        now = datetime.fromisoformat(running["now"])
    written, problems = campus_import.run(args.file, now, by="import")
    if written is None:
        return 1
    print("houqin import: " + ", ".join(f"{n} {k}" for k, n in written.items()))
    book, _ = campus_import.check(args.file)
    users = campus_import.users(book)
    if pool_id:
        import boto3

        done = campus_import.create_users(boto3.client("cognito-idp"), pool_id, users)
        print(f"houqin import: Cognito users in {pool_id}: {done['created']} created, {done['updated']} updated "
              "(no invitation sent: hand out first passwords with admin-set-user-password)")
    else:
        groups = Counter(group for user in users for group in user.groups)
        print(f"houqin import: the local cloud has no Cognito: {len(users)} users NOT created "
              f"({', '.join(f'{n} {g}' for g, n in sorted(groups.items()))}); sign in as any of them with "
              "houqin token --role ROLE --as ID (parents: --child ID)")
    return 0


def _region() -> str:
    from localcloud.cloud import CloudConfig

    return CloudConfig().region


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-5s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    for noisy in ("werkzeug", "amqtt", "transitions", "botocore", "urllib3", "moto", "localcloud.gateway"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("localcloud.gateway").setLevel(logging.INFO)


if __name__ == "__main__":
    sys.exit(main())
