"""Rasa custom actions. They talk to `knowledge/` and `dossiers/` through their APIs, never raw SQL."""
