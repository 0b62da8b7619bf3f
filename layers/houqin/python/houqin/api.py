"""Chalice glue shared by every HTTP function: one error shape, the caller's principal."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import Chalice, CORSConfig, Response

from houqin import contract
from houqin.auth import Principal
from houqin.domain.actors import Role
from houqin.errors import HouqinError, ValidationError, error_body
from houqin.observability import logger, tracer
from houqin.settings import settings

JSON = {"Content-Type": "application/json"}


# ``roles`` of a route any signed-in caller may call: the service decides per object (their own ticket, a
# manager's buildings ...). A public route (no authorizer in the template) declares no roles at all.
SIGNED_IN: tuple[Role, ...] = ()


@dataclass(frozen=True)
class Declared:
    """What a route promises, declared once at its view: read by the view's wrapper and by the OpenAPI
    document (``houqin openapi``). ``path``/``query``/``body`` are input dataclasses (houqin.contract)."""

    path: str
    method: str
    view: Callable[..., Any]
    roles: tuple[Role, ...] | None
    body: type | None = None
    query: type | None = None
    params: type | None = None
    files: tuple[str, ...] = ()  # media types it may answer besides JSON (Accept)
    status: int | tuple[int, ...] = 200  # what it answers when it succeeds

    @property
    def statuses(self) -> tuple[int, ...]:
        return self.status if isinstance(self.status, tuple) else (self.status,)

    @property
    def summary(self) -> str:
        """The view's docstring's first paragraph, on one line."""
        return " ".join(self._paragraphs[0].split()) if self._paragraphs else self.view.__name__.replace("_", " ")

    @property
    def description(self) -> str:
        """The rest of the docstring, a paragraph a line."""
        return "\n\n".join(" ".join(p.split()) for p in self._paragraphs[1:])

    @property
    def _paragraphs(self) -> list[str]:
        return [p for p in inspect.cleandoc(self.view.__doc__ or "").split("\n\n") if p.strip()]


class HouqinApp(Chalice):
    """Chalice whose views declare their inputs and roles, and may raise ``HouqinError``: it becomes the
    error's status and body. Each invocation is traced, as every Houqin handler is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.declared: list[Declared] = []

    def __call__(self, event: Any, context: Any) -> Any:
        return self._traced(event, context)

    @functools.cached_property
    def _traced(self) -> Callable[[Any, Any], Any]:
        return tracer.capture_lambda_handler(super().__call__)

    def route(self, path: str, *, methods: list[str], roles: tuple[Role, ...] | None = None,
              body: type | None = None, query: type | None = None, params: type | None = None,
              files: tuple[str, ...] = (), status: int | tuple[int, ...] = 200,
              **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A route whose view gets its inputs typed: ``params`` (the path's values, else plain strings),
        ``query=`` and ``body=`` instances of the declared classes. ``roles``: who may call it (checked
        here; the service still checks the object), ``SIGNED_IN`` for anyone signed in, None when public.
        A route without ``body`` refuses one; without ``query``, any query parameter. ``status``: what it
        answers on success (201 for a creation, 204 for a deletion; a tuple when either may be)."""
        register = super().route(path, methods=methods, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            declared = [Declared(path, method, view, roles, body, query, params, files, status) for method in methods]
            self.declared.extend(declared)

            @functools.wraps(view)
            def guarded(**path_values: str) -> Any:
                try:
                    return view(**self._inputs(declared[0], path_values))
                except HouqinError as exc:
                    return json_response(exc.body(), exc.status)

            register(guarded)
            return view

        return decorator

    def _inputs(self, declared: Declared, path_values: dict[str, str]) -> dict[str, Any]:
        request = self.current_request
        if declared.roles:
            principal(self).require_role(*declared.roles)
        sent = contract.read_json(request.raw_body)  # a body that is not UTF-8 JSON is a 400 on any route, first
        inputs: dict[str, Any] = (vars(contract.parse(declared.params, path_values, from_text=True))
                                  if declared.params is not None else dict(path_values))
        query = dict(request.query_params or {})
        if declared.query is not None:
            inputs["query"] = contract.parse(declared.query, query, from_text=True)
        elif query:
            unknown = min(query)
            raise ValidationError(f"unknown query parameter {unknown!r}: this request takes none", field=unknown)
        parsed = contract.parse_body(declared.body, sent)
        if declared.body is not None:
            inputs["body"] = parsed
        return inputs


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
