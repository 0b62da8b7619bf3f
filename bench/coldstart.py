"""Benchmark: each handler's cold start — its import in a fresh process with only what it has in Lambda.

For every function of template.yaml: a new ``python -S`` process with the function's CodeUri, its layers (built
for this machine, localcloud.build) and the runtime's boto3 on its path, the template's environment and Lambda's
variables (localcloud.runtime.lambda_environment; the AWS endpoints point nowhere: an import must make no call),
times ``import <module>`` of its handler. The baseline, in the same run and the same kind of process, is a bare
``import boto3`` — what any Python Lambda that talks to AWS pays. Each is the median of ``--runs`` (5), the
processes interleaved so a busy moment of the machine falls on both. Goal: every handler at most 1.5 x the
baseline. Nothing is asserted: the figures are printed and written to bench/results/coldstart.json.

    .venv/bin/python -m bench.coldstart [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from localcloud import build
from localcloud.deploy_check import NOWHERE
from localcloud.runtime import lambda_environment
from localcloud.template import Function, Template

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GOAL = 1.5
TIMED = ("import time, importlib; started = time.perf_counter(); importlib.import_module({module!r}); "
         "print(time.perf_counter() - started)")


def seconds(function: Function, module: str) -> float:
    """One cold import of ``module`` in a fresh process shaped like the function's Lambda environment."""
    environment = lambda_environment(function, build.python_path(function), region="us-east-1", endpoint=NOWHERE,
                                     lambda_endpoint=NOWHERE)
    done = subprocess.run([sys.executable, "-S", "-P", "-c", TIMED.format(module=module)], cwd=function.code_uri,
                          env=environment, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{function.logical_id}: import {module} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def measure(template: Template, runs: int) -> dict[str, dict[str, float]]:
    functions = template.functions()
    baseline_host = functions[0]
    samples: dict[str, list[float]] = {"boto3": []}
    for _ in range(runs):
        samples["boto3"].append(seconds(baseline_host, "boto3"))
        for function in functions:
            module = function.handler.rpartition(".")[0]
            samples.setdefault(function.logical_id, []).append(seconds(function, module))
    baseline = statistics.median(samples["boto3"])
    return {name: {"median_s": round(statistics.median(times), 4),
                   "ratio": round(statistics.median(times) / baseline, 2)} for name, times in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    template = Template.load(ROOT / "template.yaml")
    results = measure(template, args.runs)
    baseline = results["boto3"]["median_s"]
    print(f"cold import, median of {args.runs} fresh processes; baseline `import boto3` = {baseline * 1000:.0f} ms")
    print(f"{'handler':<28} {'ms':>7} {'x boto3':>8}  goal <= {GOAL}")
    for name, figures in sorted(results.items(), key=lambda kv: -kv[1]["ratio"]):
        if name == "boto3":
            continue
        mark = "" if figures["ratio"] <= GOAL else "  over"
        print(f"{name:<28} {figures['median_s'] * 1000:>7.0f} {figures['ratio']:>8.2f}{mark}")
    over = sorted(name for name, figures in results.items() if figures["ratio"] > GOAL)
    print(f"{len(results) - 1 - len(over)} of {len(results) - 1} handlers within {GOAL} x" +
          (f"; over: {', '.join(over)}" if over else ""))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "coldstart.json").write_text(json.dumps({"runs": args.runs, "goal": GOAL, "results": results},
                                                       indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
