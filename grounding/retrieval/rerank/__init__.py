"""The rerank stage: the `Reranker` seam and its built-in implementations."""
