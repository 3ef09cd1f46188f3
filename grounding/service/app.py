"""The application factory: routes for grounding, checking, models and health.

`create_app(settings, factory)` takes the Grounder factory by injection, so the
same app serves the real pipeline (the default) or any object with `ask` and
`stream`. Models and the default index are loaded once, at start-up.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi

from grounding.checking import check
from grounding.schema import GroundedAnswer, SupportReport
from grounding.service import chat, errors
from grounding.service.engine import Engine, GrounderFactory
from grounding.service.errors import ERROR_RESPONSES, ServiceError
from grounding.service.middleware import AccessLog, ApiKeyAuth, BodyLimit, key_is_valid
from grounding.service.settings import ServiceSettings
from grounding.service.wire import (
    ChatCompletionChunk,
    CheckRequest,
    GroundRequest,
    Health,
    ModelCard,
    ModelList,
)

__all__ = ["create_app"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_STARTED = int(time.time())


def create_app(
    settings: ServiceSettings | None = None,
    factory: GrounderFactory | None = None,
    *,
    engine: Engine | None = None,
) -> FastAPI:
    """A ready-to-serve app.

    Pass `factory` to serve something other than the real pipeline, or a ready
    `engine` (whose default grounder may already be loaded, as `grounding serve` does
    so that a bad index fails as a one-line error before the port opens).
    """
    if engine is None:
        engine = Engine(settings or ServiceSettings.from_env(), factory)
    settings = engine.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        try:
            yield
        finally:
            engine.close()

    app = FastAPI(
        title="grounding",
        version="0.1.0",
        summary="Grounded answers with citations, OpenAI-compatible, and a support checker.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    errors.install(app)
    app.include_router(chat.router)
    app.include_router(_router_routes())
    # Added last = outermost: the access log sees every request, even refused ones.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiKeyAuth, keys=settings.api_keys)
    app.add_middleware(AccessLog)
    # FastAPI's documented way to extend the generated schema is to replace this method
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the streamed chunk's schema, which no route returns as JSON."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        here = "#/components/schemas/ChatCompletionChunk/$defs/{model}"
        chunk = ChatCompletionChunk.model_json_schema(mode="serialization", ref_template=here)
        document.setdefault("components", {}).setdefault("schemas", {})["ChatCompletionChunk"] = (
            chunk
        )
        app.openapi_schema = document
    return app.openapi_schema


def _name(value: str | None, field: str) -> str | None:
    """A registry or index name as sent by a client: never a path on the server."""
    if value is None or _NAME.match(value):
        return value
    raise ServiceError(
        400,
        f"{field} must be a name (letters, digits, '.', '_', '-'; at most 64), not a path",
        param=field,
    )


def _router_routes() -> APIRouter:
    router = APIRouter()

    @router.get(
        "/healthz",
        response_model=Health,
        response_model_exclude_unset=True,
        responses=ERROR_RESPONSES,
    )
    async def healthz(request: Request) -> Health:
        """Liveness: the models are loaded once the server accepts connections.

        With API keys configured, only a caller that sends one learns what is served.
        """
        engine: Engine = request.app.state.engine
        keys = engine.settings.api_keys
        if keys and not key_is_valid(request.headers.get("authorization"), keys):
            return Health(status="ok")  # set, so exclude_unset keeps it
        return Health(
            status="ok",
            model=engine.settings.model_name,
            decoder=engine.settings.decoder,
            index=engine.settings.index,
            in_flight=engine.in_flight,
            capacity=engine.capacity,
        )

    @router.get("/v1/models", response_model=ModelList, responses=ERROR_RESPONSES)
    async def models(request: Request) -> ModelList:
        """The one model id this server answers to."""
        name = request.app.state.engine.settings.model_name
        return ModelList(data=[ModelCard(id=name, created=_STARTED)])

    @router.get("/v1/models/{model}", response_model=ModelCard, responses=ERROR_RESPONSES)
    async def model(model: str, request: Request) -> ModelCard:
        name = request.app.state.engine.settings.model_name
        if model != name:
            raise ServiceError(404, f"the model {model!r} does not exist", code="model_not_found")
        return ModelCard(id=name, created=_STARTED)

    @router.post("/v1/ground", response_model=GroundedAnswer, responses=ERROR_RESPONSES)
    async def ground(body: GroundRequest, request: Request) -> GroundedAnswer:
        """Answer a question with numbered sources, grounding metadata and a support report."""
        engine: Engine = request.app.state.engine
        settings = engine.settings
        if not body.question.strip():
            raise ServiceError(
                400, "the question is empty", code="empty_question", param="question"
            )
        if len(body.question) > settings.max_message_chars:
            raise ServiceError(
                400,
                f"the question has {len(body.question)} characters; the limit is "
                f"{settings.max_message_chars}",
                code="message_too_long",
                param="question",
            )
        key = engine.key_for(
            _name(body.index, "index"), _name(body.web, "web"), _name(body.decoder, "decoder")
        )
        from grounding.orchestration.refine import Refinement

        refinement = Refinement(best_of=body.best_of, repair=body.repair)

        def ask() -> GroundedAnswer:
            grounder = engine.grounder(key)
            if refinement.active:
                return grounder.ask(body.question, refiner=refinement)
            return grounder.ask(body.question)

        answer = await engine.run(ask, request.is_disconnected)
        request.state.timings = dict(answer.timings)
        request.state.support = answer.support.score
        return answer

    @router.post("/v1/check", response_model=SupportReport, responses=ERROR_RESPONSES)
    async def check_answer(body: CheckRequest, request: Request) -> SupportReport:
        """Score how well `sources` support `answer`, per claim, with unsupported spans."""
        engine: Engine = request.app.state.engine
        settings = engine.settings
        if len(body.sources) > settings.max_sources:
            raise ServiceError(
                400,
                f"{len(body.sources)} sources; the limit is {settings.max_sources}",
                code="too_many_sources",
                param="sources",
            )
        longest = max(range(len(body.sources)), key=lambda i: len(body.sources[i]), default=0)
        if body.sources and len(body.sources[longest]) > settings.max_source_chars:
            raise ServiceError(
                400,
                f"source {longest + 1} has {len(body.sources[longest])} characters; the limit "
                f"is {settings.max_source_chars} per source",
                code="source_too_long",
                param="sources",
            )
        if len(body.answer) > settings.max_message_chars:
            raise ServiceError(
                400,
                f"the answer has {len(body.answer)} characters; the limit is "
                f"{settings.max_message_chars}",
                code="message_too_long",
                param="answer",
            )
        scorer_name = engine.scorer_name(_name(body.scorer, "scorer"))

        def work() -> SupportReport:
            started = time.perf_counter()
            report = check(body.answer, body.sources, scorer=engine.scorer(scorer_name))
            request.state.timings = {"checking": time.perf_counter() - started}
            return report

        report = await engine.run(work, request.is_disconnected)
        request.state.support = report.score
        return report

    return router
