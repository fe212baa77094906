"""The base layer: settings, privacy masking, the database engine and migrations, the key store and rate limits.

It imports nothing else of the project; domain packages (knowledge, dossiers, handoff) build on it and the entry
points (actions, bot) sit on top. An import never points up.
"""
