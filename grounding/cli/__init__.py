"""The `grounding` command: one module per command group, heavy imports deferred."""
