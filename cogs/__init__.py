"""One extension per feature; each handler parses, queries the store, renders and replies."""
