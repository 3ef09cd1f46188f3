"""The extractive decoder and the clean candidate passages it picks from."""
