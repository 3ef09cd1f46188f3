"""Scorer implementations, one per file, chosen by name through `grounding.checking.registry`."""
