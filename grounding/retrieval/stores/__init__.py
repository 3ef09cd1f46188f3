"""Index stores chosen by name (`grounding.stores`): the `Index` seam, building and opening."""
