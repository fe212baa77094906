"""Read-only figures for the operators' dashboard, computed from the stored conversation events (the masked tracker
store's `events` table) and the project's tickets, feedback and knowledge tables. Nothing here writes."""
