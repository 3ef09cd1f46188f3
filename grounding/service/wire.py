"""The service's request and response bodies, in OpenAI's wire format where one exists.

Requests ignore fields they do not know (OpenAI clients send many); responses
are the library's own contracts (`GroundedAnswer`, `SupportReport`) plus the
OpenAI envelope, so the OpenAPI document describes exactly what is sent.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from grounding.schema import GroundingMetadata, RewardReport, Source, SupportReport

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ChatMessage",
    "CheckRequest",
    "Choice",
    "ChunkChoice",
    "ContentPart",
    "Delta",
    "ErrorBody",
    "ErrorResponse",
    "GroundRequest",
    "Health",
    "ModelCard",
    "ModelList",
]


MAX_BEST_OF = 8  # candidates per request, for best-of-n (`n`, `best_of`)


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _valid_unicode(cls, value: object) -> object:
        """JSON can escape a lone UTF-16 surrogate ("\\ud800"); no model can read one: a 400."""
        _refuse_surrogates(value)
        return value


def _refuse_surrogates(value: object) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                "the text holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a "
                "character; send valid Unicode"
            ) from None
    elif isinstance(value, list):
        for item in value:
            _refuse_surrogates(item)


class ContentPart(_Request):
    """One part of a message's content; only text parts can be grounded."""

    type: str
    text: str | None = None


class ChatMessage(_Request):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class ChatCompletionRequest(_Request):
    """The fields of OpenAI's chat completion request that the service reads."""

    model: str
    messages: list[ChatMessage]
    # strict: "yes" is not a boolean and true is not a number of tokens (a 400, not a guess)
    stream: bool | None = Field(default=False, strict=True)
    max_tokens: int | None = Field(default=None, ge=1, strict=True)
    max_completion_tokens: int | None = Field(default=None, ge=1, strict=True)
    n: int | None = Field(default=1, ge=1, le=MAX_BEST_OF, strict=True)  # > 1: best-of-n
    user: str | None = None


class GroundRequest(_Request):
    """`POST /v1/ground`: a question, and optionally which index, web provider and decoder."""

    question: str
    index: str | None = None
    web: str | None = None
    decoder: str | None = None
    best_of: int = Field(default=1, ge=1, le=MAX_BEST_OF, strict=True)
    repair: bool = Field(default=False, strict=True)


class CheckRequest(_Request):
    """`POST /v1/check`: an answer and the sources to check it against."""

    answer: str
    sources: list[str]
    scorer: str | None = None


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`."""

    error: ErrorBody


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    """OpenAI's `chat.completion`, with the grounding fields riding along at the top level."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    grounding_metadata: GroundingMetadata
    support: SupportReport
    sources: list[Source] = []
    warnings: list[str] = []
    reward: RewardReport | None = None
    relevance: float | None = None  # does the answer address the question
    answered: bool = True  # false when the sources do not answer; `reason` says why
    reason: str = ""


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop", "length"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    """OpenAI's `chat.completion.chunk`; the last one carries the grounding fields."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    answer: str | None = None  # the final answer text, which offsets refer to (last chunk only)
    grounding_metadata: GroundingMetadata | None = None
    support: SupportReport | None = None
    sources: list[Source] | None = None
    warnings: list[str] | None = None
    relevance: float | None = None
    answered: bool | None = None
    reason: str | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "grounding"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class Health(BaseModel):
    """`/healthz`: the status for anyone; what it serves and its load only for callers
    with an API key when keys are configured (absent fields are left out)."""

    status: Literal["ok"] = "ok"
    model: str | None = None
    decoder: str | None = None
    index: str | None = None
    in_flight: int | None = None
    capacity: int | None = None
