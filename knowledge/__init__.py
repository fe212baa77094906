"""Procedure knowledge base: schema, curated data loader, catalogue importer, search and the clerk lookup."""
