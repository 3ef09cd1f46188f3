"""The `milvus` store: an index kept in Milvus (Lite or a server)."""
