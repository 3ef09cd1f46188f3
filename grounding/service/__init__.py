"""The HTTP service: OpenAI-compatible grounded chat, plus ground and check endpoints.

`create_app()` builds the FastAPI app; `grounding serve` runs it with uvicorn.
Import cost is FastAPI's only: the pipeline (and torch) load at start-up.
"""

from grounding.service.app import create_app
from grounding.service.engine import Engine, GrounderFactory, GrounderKey, GrounderLike
from grounding.service.settings import ServiceSettings, parse_api_keys

__all__ = [
    "Engine",
    "GrounderFactory",
    "GrounderKey",
    "GrounderLike",
    "ServiceSettings",
    "create_app",
    "parse_api_keys",
]
