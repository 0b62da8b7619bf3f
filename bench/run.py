"""Benchmark: loading demo data into DynamoDB (moto server over HTTP).

Baseline: one PutItem per item. Candidate: BatchWriteItem (what `make run` uses), serial and
with 8 threads. Prints time ratios against the baseline measured in the same run, and the
billed WCU from the cost meter (batching changes latency, not the bill).

    make bench            # or: .venv/bin/python -m bench.run --residents 1000
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from moto.server import ThreadedMotoServer

from localcloud import demo
from localcloud.resources import aws_client, create_table
from localcloud.template import Template

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=1000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._server.server_port}"  # noqa: SLF001
    template = Template.load(ROOT / "template.yaml", endpoint=endpoint)
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": template.region,
                       "AWS_DEFAULT_REGION": template.region, "AWS_ACCESS_KEY_ID": "bench",
                       "AWS_SECRET_ACCESS_KEY": "bench", "DORMS_TABLE": template.physical_name("DormsTable"),
                       "STAFF_TABLE": template.physical_name("StaffTable")})
    from houqin.store.dorms import DormsTable, Resident
    from localcloud.costmeter import CostMeter

    data = demo.generate()

    def residents() -> list[Resident]:
        return [demo.resident_item(r) for r in data.residents[:args.residents]]

    def fresh_table() -> None:
        client = aws_client("dynamodb", template)
        name = template.physical_name("DormsTable")
        if name in client.list_tables()["TableNames"]:
            client.delete_table(TableName=name)
        create_table(template, "DormsTable")
        DormsTable._connection = None
        Resident._connection = None

    def one_by_one(items: list[Resident]) -> None:
        for item in items:
            item.save()

    def batched(items: list[Resident]) -> None:
        with Resident.batch_write() as writer:
            for item in items:
                writer.save(item)

    def batched_threads(items: list[Resident]) -> None:
        chunks = [items[i:i + 250] for i in range(0, len(items), 250)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(batched, chunks))

    def measure(load: Callable[[list[Resident]], None]) -> tuple[float, float]:
        fresh_table()
        items = residents()
        started = time.perf_counter()
        load(items)
        seconds = time.perf_counter() - started
        fresh_table()
        with CostMeter.installed() as meter:
            load(residents())
        return seconds, meter.wcu

    print(f"Loading {args.residents} residents (table + GSI1 + GSI2) into moto server over HTTP")
    baseline_seconds, baseline_wcu = measure(one_by_one)
    print(f"{'method':<26}{'seconds':>9}{'x faster':>10}{'billed WCU':>12}{'WCU/item':>10}")
    for name, load in (("PutItem one by one", one_by_one), ("BatchWriteItem", batched),
                       ("BatchWriteItem, 8 threads", batched_threads)):
        seconds, wcu = (baseline_seconds, baseline_wcu) if load is one_by_one else measure(load)
        print(f"{name:<26}{seconds:>9.2f}{baseline_seconds / seconds:>10.2f}{wcu:>12}{wcu / args.residents:>10.2f}")
    server.stop()


if __name__ == "__main__":
    main()
