"""Dossier status: store, receipt codes, privacy-safe lookup, feeds and notifications."""
