"""Answer matching, right-document citation and the correctness block, by hand."""

from __future__ import annotations

import pytest

from grounding.evaluation.answers import cites_document, match_answer, normalize_answer


def test_normalisation_drops_markers_quotes_articles_and_case() -> None:
    assert normalize_answer('The default is "FFI_DEFAULT_ABI" [1].') == "default is ffi_default_abi"
    assert normalize_answer("Use `--posix` [2, 3].") == "use --posix"


def test_exact_contains_and_token_f1_by_hand() -> None:
    match = match_answer("It is FFI_DEFAULT_ABI [1].", "FFI_DEFAULT_ABI")
    # tokens: it, is, ffi_default_abi against ffi_default_abi: P = 1/3, R = 1, F1 = 0.5
    assert (match.exact, match.contains, match.f1) == (False, True, pytest.approx(0.5))
    assert match_answer("ffi_default_abi.", "FFI_DEFAULT_ABI").exact
    miss = match_answer("It is FFI_SYSV [1].", "FFI_DEFAULT_ABI")
    assert (miss.contains, miss.f1) == (False, 0.0)


def test_contains_respects_token_boundaries() -> None:
    assert not match_answer("version 1.110 [1].", "1.11").contains
    assert match_answer("in release 1.11 [1].", "1.11").contains


def test_an_empty_expected_answer_is_an_error() -> None:
    with pytest.raises(ValueError):
        match_answer("anything", "the")


def test_right_document_by_uri_suffix() -> None:
    uris = ["file:///data/realdocs/bash/POSIX.txt", "file:///data/realdocs/bash/RBASH.txt"]
    assert cites_document(uris, "bash/RBASH.txt")
    assert not cites_document(uris, "ASH.txt")
    assert not cites_document([], "bash/RBASH.txt")
