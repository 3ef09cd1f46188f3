"""Generation: prompts with fenced numbered sources, decoders, citation parsing."""
