-- Second database of the compose PostgreSQL: conversations (TRACKER_DATABASE_URL), beside `thutuc` (DATABASE_URL).
CREATE DATABASE thutuc_conversations OWNER thutuc;
