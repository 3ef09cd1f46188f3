"""Retrieval: the local index, web search adapters, page fetching and fusion."""
