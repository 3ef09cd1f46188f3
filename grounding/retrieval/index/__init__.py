"""The local index: files read and chunked, embedded, stored (FAISS + BM25) and kept up to date."""
