"""GET /health: the version, and whether each table the template gives us is reachable."""

from __future__ import annotations

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from houqin.api import create_app, json_response
from houqin.settings import settings

app = create_app("houqin-health")
_dynamodb = boto3.client("dynamodb", region_name=settings().region)


def table_status(table_name: str) -> dict[str, object]:
    try:
        status = _dynamodb.describe_table(TableName=table_name)["Table"]["TableStatus"]
    except (ClientError, BotoCoreError) as exc:
        return {"reachable": False, "error": type(exc).__name__}
    return {"reachable": status == "ACTIVE", "status": status}


@app.route("/health", methods=["GET"])
def health():
    config = settings()
    tables = {name: table_status(physical) for name, physical in sorted(config.tables.items())}
    healthy = all(t["reachable"] for t in tables.values())
    body = {"status": "ok" if healthy else "degraded", "version": config.version, "stage": config.stage,
            "tables": tables}
    return json_response(body, 200 if healthy else 503)
