"""`POST /v1/chat/completions`: OpenAI's chat wire format around a grounded answer.

The last user message is the question and the earlier ones its history. The
answer is the assistant message; `grounding_metadata`, `support` and `sources`
ride along at the top level, and when streaming, in the last chunk before
`data: [DONE]`. That chunk also carries `answer`, the final text the offsets
refer to: the pipeline resolves citations after generation, so it may differ
from the concatenated deltas.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Literal, TypedDict

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from grounding.errors import GroundingError
from grounding.schema import (
    Delta,
    Final,
    GroundedAnswer,
    GroundingMetadata,
    Message,
    Source,
    SupportReport,
)
from grounding.service.engine import Engine
from grounding.service.errors import ERROR_RESPONSES, ServiceError, from_grounding_error
from grounding.service.settings import ServiceSettings
from grounding.service.wire import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatMessage,
    Choice,
    ChunkChoice,
    ErrorResponse,
)
from grounding.service.wire import (
    Delta as WireDelta,
)

__all__ = ["router", "to_conversation"]

router = APIRouter()

_EVENT_SCHEMA = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "anyOf": [
                {"const": "[DONE]"},
                {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/ChatCompletionChunk"},
                            {"$ref": "#/components/schemas/ErrorResponse"},
                        ]
                    },
                },
            ]
        }
    },
}
_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The grounded answer; with `stream: true`, server-sent events, each "
        "a `chat.completion.chunk` (or an error), ending in `data: [DONE]`",
        "content": {"text/event-stream": {"schema": _EVENT_SCHEMA}},
    }
}


_ROLES: dict[str, Literal["system", "user", "assistant"]] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
}


def _text(message: ChatMessage, position: int, settings: ServiceSettings) -> str:
    content = message.content
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    else:
        if any(part.type != "text" for part in content):
            raise ServiceError(
                400, "only text content parts can be grounded", param=f"messages.{position}"
            )
        text = "".join(part.text or "" for part in content)
    if len(text) > settings.max_message_chars:
        raise ServiceError(
            400,
            f"message {position} has {len(text)} characters; the limit is "
            f"{settings.max_message_chars}",
            code="message_too_long",
            param=f"messages.{position}.content",
        )
    return text


def to_conversation(
    body: ChatCompletionRequest, settings: ServiceSettings
) -> tuple[str, list[Message]]:
    """The question (last user message) and its history, or a 4xx saying what is wrong."""
    if body.model != settings.model_name:
        raise ServiceError(
            404,
            f"the model {body.model!r} does not exist; use {settings.model_name!r} "
            "(see GET /v1/models)",
            code="model_not_found",
            param="model",
        )
    if not body.messages:
        raise ServiceError(
            400, "messages must not be empty", code="empty_messages", param="messages"
        )
    if len(body.messages) > settings.max_messages:
        raise ServiceError(
            400,
            f"{len(body.messages)} messages; the limit is {settings.max_messages}",
            code="too_many_messages",
            param="messages",
        )
    for name in ("max_tokens", "max_completion_tokens"):
        value = getattr(body, name)
        if value is not None and value > settings.max_tokens:
            raise ServiceError(
                400,
                f"{name} is {value}; the limit is {settings.max_tokens}",
                code="max_tokens_too_large",
                param=name,
            )
    if body.n not in (None, 1) and body.stream:
        raise ServiceError(400, "n > 1 (best-of-n) cannot be streamed", param="n")
    history: list[Message] = []
    for position, message in enumerate(body.messages):
        if message.role in ("tool", "function"):
            raise ServiceError(400, "tool messages are not supported", param=f"messages.{position}")
        role = _ROLES[message.role]
        history.append(Message(role=role, content=_text(message, position, settings)))
    last = history.pop()
    if last.role != "user" or not last.content.strip():
        raise ServiceError(
            400,
            "the last message must be a non-empty user message (the question)",
            code="no_question",
            param="messages",
        )
    return last.content, history


def _record(request: Request, answer: GroundedAnswer) -> None:
    request.state.timings = dict(answer.timings)
    request.state.support = answer.support.score


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    responses={**ERROR_RESPONSES, **_STREAM_DOC},
    summary="Grounded chat completion (OpenAI wire format)",
)
async def chat_completions(body: ChatCompletionRequest, request: Request) -> Any:
    """Answer the last user message from the index (and the web, if configured), with citations."""
    engine: Engine = request.app.state.engine
    question, history = to_conversation(body, engine.settings)
    grounder_key = engine.default_key
    max_tokens = body.max_completion_tokens or body.max_tokens  # checked against the limit
    created = int(time.time())
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        request.state.stream = True
        items = engine.stream(
            lambda: engine.grounder(grounder_key).stream(question, history, max_tokens),
            request.is_disconnected,
        )
        try:
            first = await anext(items)  # errors before the first piece are plain 4xx/5xx
        except StopAsyncIteration:
            raise ServiceError(500, "the pipeline produced nothing", type_="server_error") from None
        envelope = {"id": completion_id, "created": created, "model": engine.settings.model_name}
        return StreamingResponse(
            _events(request, envelope, first, items),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    best_of = body.n or 1

    def ask() -> GroundedAnswer:
        from grounding.orchestration.refine import Refinement

        grounder = engine.grounder(grounder_key)
        if best_of > 1:  # OpenAI's n: best-of-n by the reward, the best as choice 0
            return grounder.ask(question, history, max_tokens, Refinement(best_of=best_of))
        return grounder.ask(question, history, max_tokens)

    answer = await engine.run(ask, request.is_disconnected)
    _record(request, answer)
    return ChatCompletion(
        id=completion_id,
        created=created,
        model=engine.settings.model_name,
        choices=_choices(answer),
        reward=answer.reward,
        **_grounding_fields(answer),
    )


class _GroundingFields(TypedDict):
    """The answer's fields that ride along on a completion and on a stream's last chunk."""

    grounding_metadata: GroundingMetadata
    support: SupportReport
    sources: list[Source]
    warnings: list[str]
    relevance: float | None
    answered: bool
    reason: str


def _grounding_fields(answer: GroundedAnswer) -> _GroundingFields:
    return _GroundingFields(
        grounding_metadata=answer.grounding_metadata,
        support=answer.support,
        sources=answer.sources,
        warnings=answer.warnings,
        relevance=answer.relevance,
        answered=answer.answered,
        reason=answer.reason,
    )


def _choices(answer: GroundedAnswer) -> list[Choice]:
    """The grounded answer first; with best-of-n, the other candidates after it, best first."""
    others = sorted(
        (c for c in answer.grounding_metadata.candidates if not c.chosen),
        key=lambda c: -c.reward.total,
    )
    first = Choice(
        message=AssistantMessage(content=answer.answer), finish_reason=answer.finish_reason
    )
    rest = [Choice(index=i, message=AssistantMessage(content=c.answer))
            for i, c in enumerate(others, start=1)]  # fmt: skip
    return [first, *rest]


def _sse(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


def _chunk(envelope: dict[str, Any], delta: WireDelta, **extra: Any) -> bytes:
    finish = extra.pop("finish_reason", None)
    choice = ChunkChoice(delta=delta, finish_reason=finish)
    chunk = ChatCompletionChunk(**envelope, choices=[choice], **extra)
    return _sse(chunk.model_dump(mode="json"))


async def _events(
    request: Request,
    envelope: dict[str, Any],
    first: Delta | Final,
    rest: AsyncGenerator[Delta | Final, None],
) -> AsyncIterator[bytes]:
    """Role chunk, text deltas, the last chunk with the grounding fields, `[DONE]`."""
    yield _chunk(envelope, WireDelta(role="assistant", content=""))
    streamed = ""
    try:
        item = first
        while isinstance(item, Delta):
            if item.text:
                streamed += item.text
                yield _chunk(envelope, WireDelta(content=item.text))
            item = await anext(rest)
    except (ServiceError, GroundingError) as exc:
        error = exc if isinstance(exc, ServiceError) else from_grounding_error(exc)
        yield _sse(ErrorResponse(error=error.body).model_dump())
        return
    except StopAsyncIteration:
        error = ServiceError(500, "the pipeline ended without an answer", type_="server_error")
        yield _sse(ErrorResponse(error=error.body).model_dump())
        return
    finally:
        await rest.aclose()
    answer = item.answer
    if answer.answer.startswith(streamed) and len(answer.answer) > len(streamed):
        yield _chunk(envelope, WireDelta(content=answer.answer[len(streamed) :]))
    _record(request, answer)
    yield _chunk(
        envelope,
        WireDelta(),
        finish_reason=answer.finish_reason,
        answer=answer.answer,
        **_grounding_fields(answer),
    )
    yield _sse("[DONE]")
