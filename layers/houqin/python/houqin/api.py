"""Chalice glue shared by every HTTP function: one error shape, the caller's principal."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from chalice import Chalice, CORSConfig, Response

from houqin.auth import Principal
from houqin.errors import HouqinError, ValidationError, error_body
from houqin.observability import logger, tracer
from houqin.settings import settings
from houqin.validation import Body

JSON = {"Content-Type": "application/json"}


class HouqinApp(Chalice):
    """Chalice whose views may raise ``HouqinError``: it becomes the error's status and body. Each
    invocation is traced, as every Houqin handler is."""

    def __call__(self, event: Any, context: Any) -> Any:
        return self._traced(event, context)

    @functools.cached_property
    def _traced(self) -> Callable[[Any, Any], Any]:
        return tracer.capture_lambda_handler(super().__call__)

    def route(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def guarded(*args: Any, **kw: Any) -> Any:
                try:
                    return view(*args, **kw)
                except HouqinError as exc:
                    return json_response(exc.body(), exc.status)

            register(guarded)
            return view

        return decorator

    def params(self) -> dict[str, str]:
        """The request's query parameters (none: an empty dict)."""
        return self.current_request.query_params or {}

    def body(self, allowed: Iterable[str]) -> Body:
        """The request's JSON object body with only the ``allowed`` fields (else a 400 naming the field)."""
        return Body.parse(self.current_request.raw_body, allowed)


def create_app(name: str, *, downloads: str | None = None) -> HouqinApp:
    """A Chalice app whose errors all answer ``{"error": {"code", "message", "field"}}``. ``downloads``: the
    media type of the files it answers (Chalice base64-encodes those bodies, and browsers may read the file name)."""
    app = HouqinApp(app_name=name)
    app.log.setLevel("INFO")
    if downloads:
        app.api.binary_types.append(downloads)
    # Browsers call the API from the web UI's origin (template parameter WebOrigin); set before any route.
    app.api.cors = CORSConfig(allow_origin=settings().web_origin, allow_headers=["Idempotency-Key", "If-Match"],
                              expose_headers=["Content-Disposition"] if downloads else None)

    @app.middleware("http")
    def houqin_errors(event: Any, get_response: Any) -> Response:
        logger.set_correlation_id(event.context.get("requestId"))
        return _reshape_chalice_error(get_response(event))

    return app


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = "" if status == 204 else json.dumps(body, ensure_ascii=False, default=str)
    return Response(body=text, status_code=status,
                    headers={**JSON, **(headers or {})})


def principal(app: Chalice) -> Principal:
    """The caller, from the claims the Cognito authorizer put on the request."""
    request = app.current_request
    return Principal.from_claims((request.context.get("authorizer") or {}).get("claims"))


def if_match(app: Chalice) -> int | None:
    """The version in ``If-Match: 3`` (or ``"3"``, ``W/"3"``): a write made on an older copy is refused."""
    raw = (app.current_request.headers or {}).get("if-match")
    if raw is None:
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ValidationError("If-Match must be the version number you read", field="If-Match")
    return int(text)


def _reshape_chalice_error(response: Response) -> Response:
    """Chalice's own errors ({"Code", "Message"}) in our shape, so clients parse one format."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    code = "internal" if response.status_code >= 500 else str(body["Code"]).removesuffix("Error").lower()
    message = "internal error" if response.status_code >= 500 else str(body.get("Message", ""))
    return json_response(error_body(response.status_code, code, message), response.status_code)
