"""Handing a conversation to a clerk: tickets (live or callback) and answer feedback, with their own tables."""
