"""Static files from web/, plus what the pages need locally: ``/config.json`` (where the API
is, how to sign in) and the demo sign-in (``/_local/demo-users``, ``/_local/token``) that
stands in for the Cognito hosted UI. Local use only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("localcloud.web")


def web_handler(directory: Path, config: Callable[[], dict[str, Any]], demo_users: list[dict[str, Any]],
                mint: Callable[[str], str | None]) -> Callable[..., SimpleHTTPRequestHandler]:
    """A handler class for web/ whose local endpoints use ``mint(person_id) -> token``."""

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/config.json":
                self._json(200, config())
            elif url.path == "/_local/demo-users":
                self._json(200, {"users": demo_users})
            elif url.path == "/_local/token":
                person = (parse_qs(url.query).get("person_id") or [""])[0]
                token = mint(person)
                if token is None:
                    self._json(404, {"error": {"code": "not_found", "field": "person_id",
                                               "message": f"no demo user {person!r}"}})
                else:
                    self._json(200, {"token": token})
            else:
                super().do_GET()

        def _json(self, status: int, payload: Any) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return partial(Handler, directory=str(directory))
