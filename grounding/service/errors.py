"""Every failure leaves the service in OpenAI's error shape, with the right status.

Bad input is a 4xx that says what to change; only a bug is a 500, and its
message names no internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from grounding.errors import (
    ConfigError,
    DecoderError,
    GroundingError,
    IndexNotFoundError,
    InputError,
    RetrievalError,
)
from grounding.service.wire import ErrorBody, ErrorResponse

__all__ = ["ERROR_RESPONSES", "ServiceError", "error_response", "from_grounding_error", "install"]

log = logging.getLogger("grounding.service")

# status -> description, for the OpenAPI document of every route.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "Bad input: invalid JSON, unknown field value, limits exceeded",
        401: "Missing or wrong API key",
        404: "Unknown model or index",
        413: "Request body too large",
        429: "Too many requests in flight",
        500: "Internal error",
        502: "An upstream decoder or web provider failed",
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


def from_grounding_error(exc: GroundingError) -> ServiceError:
    """The HTTP face of a library error: the caller's fault is 4xx, an upstream's 502."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, IndexNotFoundError):
        return ServiceError(404, message, code="index_not_found", param="index")
    if isinstance(exc, InputError | ConfigError):
        return ServiceError(400, message, code=type(exc).__name__)
    if isinstance(exc, DecoderError | RetrievalError):
        return ServiceError(502, message, type_="upstream_error", code=type(exc).__name__)
    return ServiceError(500, message, type_="server_error", code=type(exc).__name__)


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
