"""Orchestration: the `Grounder`'s public steps (grounder), citations of two origins
(attribution), and best-of-n and repair composed from those steps (refine)."""
