"""`serve --filter`: every search of the real service keeps only the chunks the filter allows."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from grounding.retrieval.filters import parse_filters
from grounding.retrieval.index.local import LocalIndex
from grounding.service import ServiceSettings, create_app
from tests.index_docs import write_notes
from tests.service_server import thread_server

pytestmark = pytest.mark.slow


def test_a_filtered_service_searches_only_the_allowed_documents(tmp_path: Path) -> None:
    index = LocalIndex.build([write_notes(tmp_path / "notes")], tmp_path / "index")
    question = {"question": "When was the Varnholt lighthouse first lit?"}
    plain = create_app(ServiceSettings(index=str(index.directory)))
    with thread_server(plain) as url:
        found = requests.post(f"{url}/v1/ground", json=question, timeout=120).json()
    assert any(s["uri"].endswith("lighthouse.md") for s in found["sources"])

    only_ferry = parse_filters(["doc=notes/sub/*"])
    settings = ServiceSettings(index=str(index.directory), filters=only_ferry)
    with thread_server(create_app(settings)) as url:
        reply = requests.post(f"{url}/v1/ground", json=question, timeout=120)
    assert reply.status_code == 200, reply.text
    uris = {source["uri"] for source in reply.json()["sources"]}
    assert uris and all(uri.endswith("sub/ferry.txt") for uri in uris)
