"""`houqin publish-web --stack NAME`: the web pages on a deployed stack.

The pages are the same files locally and deployed; only ``config.json`` differs. Locally the web server
answers it (sign-in with demo users); deployed it is written here from the stack's outputs (the API's URL
and the Cognito hosted UI), and web/ is copied to the stack's WebBucket, which CloudFront serves.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CONFIG = "config.json"
NEEDED = ("ApiUrl", "HostedUiUrl", "UserPoolClientId", "WebUrl", "WebBucketName")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".json": "application/json; charset=utf-8",
         ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8"}


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    [found] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in found.get("Outputs") or ()}


def deployed_config(outputs: Mapping[str, str]) -> dict[str, str]:
    """What the pages read from /config.json on the deployed stack."""
    missing = [name for name in NEEDED if not outputs.get(name)]
    if missing:
        raise RuntimeError(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml first")
    web_url = outputs["WebUrl"].rstrip("/")
    return {"apiUrl": outputs["ApiUrl"], "auth": "cognito", "cognitoDomain": outputs["HostedUiUrl"],
            "clientId": outputs["UserPoolClientId"], "redirectUri": f"{web_url}/"}


def content_type(path: Path) -> str:
    return TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def publish(web_dir: Path, bucket: str, config: Mapping[str, Any], s3: Any) -> dict[str, int]:
    """Copy web/ to the bucket with the deployed config.json; objects no longer in web/ are deleted (a
    page removed from the release must not linger). Pages are served uncached, so a release shows at once."""
    files = {path.relative_to(web_dir).as_posix(): path for path in sorted(web_dir.rglob("*"))
             if path.is_file() and not path.name.startswith(".") and path.name != CONFIG}
    for key, path in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(path),
                      CacheControl="no-cache")
    s3.put_object(Bucket=bucket, Key=CONFIG, Body=json.dumps(config, ensure_ascii=False).encode(),
                  ContentType=TYPES[".json"], CacheControl="no-cache")
    stale = [obj["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
             for obj in page.get("Contents") or () if obj["Key"] not in files and obj["Key"] != CONFIG]
    for start in range(0, len(stale), 1000):  # DeleteObjects takes 1,000 keys a call
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start:start + 1000]]})
    return {"uploaded": len(files) + 1, "deleted": len(stale)}
