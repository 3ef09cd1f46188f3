"""Library errors over HTTP: one table, the caller's faults 4xx, no internals in a 5xx body."""

from __future__ import annotations

import pytest

import grounding.errors as errors
from grounding.errors import GroundingError
from grounding.service.errors import ERROR_TABLE, face_of, from_grounding_error

SECRET = "cannot read /srv/private/indexes/x at http://10.0.0.7:8000"
ALL = [getattr(errors, name) for name in errors.__all__]


@pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.__name__)
def test_no_5xx_body_carries_the_exception_text(cls: type[GroundingError]) -> None:
    error = from_grounding_error(cls(SECRET))
    if error.status >= 500:
        assert "/srv" not in error.body.message and "10.0.0.7" not in error.body.message
        assert error.body.message == face_of(cls(SECRET)).public
    else:  # the caller's to fix: said as it is, unless the table says it otherwise
        assert error.body.message == (face_of(cls(SECRET)).public or SECRET)


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (errors.InputError, 400),
        (errors.NotRegisteredError, 400),  # the caller named a decoder/scorer that is not there
        (errors.IndexNotFoundError, 404),
        (errors.ConfigError, 500),  # the server lacks its configuration: not the caller's fault
        (errors.EmbeddingMismatchError, 500),
        (errors.ModelError, 500),
        (errors.DecoderError, 502),
        (errors.ScorerError, 502),  # an upstream judge, like an upstream decoder
        (errors.RetrievalError, 502),
        (errors.FetchRefusedError, 502),
        (errors.GroundingError, 500),
    ],
)
def test_status_per_class(cls: type[GroundingError], status: int) -> None:
    assert from_grounding_error(cls("x")).status == status


def test_subclasses_come_before_their_parents() -> None:
    classes = [cls for cls, _ in ERROR_TABLE]
    for i, cls in enumerate(classes):
        assert not any(issubclass(cls, earlier) for earlier in classes[:i]), cls
