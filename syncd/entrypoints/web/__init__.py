"""The annotated activity feed: HTML pages, Atom and a JSON API (see docs/api.md)."""
