"""Every failure leaves the service in OpenAI's error shape, with the right status.

Bad input is a 4xx that says what to change. Library errors map to a status
and a public message through one table (`ERROR_TABLE`); a 5xx body never
carries the exception's own text, which may name server paths or hosts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from grounding.core.text import one_line
from grounding.errors import (
    ConfigError,
    DecoderError,
    GroundingError,
    IndexNotFoundError,
    IndexStoreError,
    InputError,
    ModelError,
    NotRegisteredError,
    RetrievalError,
    ScorerError,
)
from grounding.service.wire import ErrorBody, ErrorResponse

__all__ = [
    "ERROR_RESPONSES",
    "ERROR_TABLE",
    "ErrorFace",
    "ServiceError",
    "error_response",
    "face_of",
    "from_grounding_error",
    "install",
]

log = logging.getLogger("grounding.service")

_CLIENT, _SERVER, _UPSTREAM = "invalid_request_error", "server_error", "upstream_error"

# status -> description, for the OpenAPI document of every route.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "Bad input: invalid JSON, unknown field value, limits exceeded",
        401: "Missing or wrong API key",
        404: "Unknown model or index",
        413: "Request body too large",
        429: "Too many requests in flight",
        500: "Internal error, or the server lacks configuration for the request",
        502: "An upstream decoder, web provider or judge failed",
        503: "No capacity freed up in time",
        504: "The request ran past its time limit",
    }.items()
}


class ServiceError(Exception):
    """An error the service answers with `status` and OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(message=message, type=type_, code=code, param=param)
        self.headers = dict(headers or {})


def error_response(error: ServiceError) -> JSONResponse:
    body = ErrorResponse(error=error.body).model_dump()
    return JSONResponse(body, status_code=error.status, headers=error.headers)


@dataclass(frozen=True)
class ErrorFace:
    """How one library error class looks over HTTP.

    `public` is the message a client sees; None passes the exception's own
    message, which only errors the caller can fix (4xx) do. A 5xx shows the
    fixed public text, and its details go to the log, never into the body.
    """

    status: int
    type: str
    public: str | None = None
    code: str | None = None  # default: the exception's class name
    param: str | None = None


# Library error -> HTTP. The first class that matches wins, so subclasses come first.
ERROR_TABLE: tuple[tuple[type[GroundingError], ErrorFace], ...] = (
    (
        IndexNotFoundError,  # its own message names the folder on the server
        ErrorFace(404, _CLIENT, "no such index on this server", "index_not_found", "index"),
    ),
    (NotRegisteredError, ErrorFace(400, _CLIENT, code="ConfigError")),
    (InputError, ErrorFace(400, _CLIENT)),
    (ConfigError, ErrorFace(500, _SERVER, "the server is not configured for this request")),
    (IndexStoreError, ErrorFace(500, _SERVER, "the index cannot be read")),
    (ModelError, ErrorFace(500, _SERVER, "a model could not be loaded or run")),
    (DecoderError, ErrorFace(502, _UPSTREAM, "the decoder's upstream failed")),
    (RetrievalError, ErrorFace(502, _UPSTREAM, "a retrieval upstream failed")),
    (ScorerError, ErrorFace(502, _UPSTREAM, "the checker's upstream failed")),
    (GroundingError, ErrorFace(500, _SERVER, "internal error")),
)


def face_of(exc: GroundingError) -> ErrorFace:
    """The table's row for `exc`."""
    return next(face for cls, face in ERROR_TABLE if isinstance(exc, cls))


def from_grounding_error(exc: GroundingError) -> ServiceError:
    """The HTTP face of a library error, from `ERROR_TABLE`."""
    face = face_of(exc)
    if face.public is None:
        message = str(exc) or type(exc).__name__
    else:
        log.warning("%s (HTTP %d): %s", type(exc).__name__, face.status, one_line(str(exc)))
        message = face.public
    return ServiceError(
        face.status, message, face.type, code=face.code or type(exc).__name__, param=face.param
    )


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "the request body is invalid", None
    first = errors[0]
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON", None
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    where = ".".join(location) or "body"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}", where


async def _on_service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(exc)


async def _on_grounding_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GroundingError)
    return error_response(from_grounding_error(exc))


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, param = _validation_message(exc)
    return error_response(ServiceError(400, message, code="invalid_request", param=param))


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    error = ServiceError(exc.status_code, str(exc.detail), code=code, headers=exc.headers)
    return error_response(error)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(ServiceError(500, "internal error", type_="server_error"))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into OpenAI's error shape."""
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(GroundingError, _on_grounding_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
