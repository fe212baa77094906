"""Input/output channels: Zalo Official Account, web chat, clerk page."""
