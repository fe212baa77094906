"""All runtime configuration, read from environment variables in one place.

Every setting has a safe embedded default so the assistant runs on a fresh machine with no external services
(SQLite, in-memory stores). Production deployments override them through the environment; see docs/operations.md.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import BaseSettings, Field, SecretStr, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
ENVIRONMENTS = ("development", "production")
METRICS_PORT_OFFSET = 4000  # a server's /metrics port, unless set: its own port + this


class Settings(BaseSettings):
    # Storage
    database_url: str = Field(f"sqlite:///{VAR_DIR / 'thutuc.db'}", env="DATABASE_URL")
    redis_url: Optional[str] = Field(None, env="REDIS_URL")
    # Where Rasa keeps conversations (masked, see bot/tracker_store.py). Defaults to a local SQLite file.
    tracker_database_url: str = Field(f"sqlite:///{VAR_DIR / 'conversations.db'}", env="TRACKER_DATABASE_URL")

    # Knowledge base
    knowledge_data_dir: Path = Field(PROJECT_ROOT / "knowledge" / "data", env="KNOWLEDGE_DATA_DIR")
    review_max_age_days: int = Field(365, env="KNOWLEDGE_REVIEW_MAX_AGE_DAYS")
    timezone: str = Field("Asia/Ho_Chi_Minh", env="THUTUC_TIMEZONE")
    # How often (seconds) a running process checks whether the knowledge base changed and rebuilds its search index.
    knowledge_refresh_s: float = Field(30.0, env="KNOWLEDGE_REFRESH_SECONDS")
    # Where a built search index is cached between runs so cold commands (`thutuc tra`) skip rebuilding it.
    knowledge_cache_dir: Path = Field(VAR_DIR / "cache", env="KNOWLEDGE_CACHE_DIR")

    # Servers
    rasa_url: str = Field("http://127.0.0.1:5005", env="RASA_URL")
    # Secret of the Rasa HTTP API's JWTs (base/rasa_api.py). Unset in development: generated once into
    # `rasa_api_token_file` (mode 0600). Required in production.
    rasa_api_token: Optional[str] = Field(None, env="RASA_API_TOKEN")
    rasa_api_token_file: Path = Field(VAR_DIR / "rasa_api_token", env="RASA_API_TOKEN_FILE")
    # Interface the servers bind to; 127.0.0.1 unless a reverse proxy in front needs another.
    bind_host: str = Field("127.0.0.1", env="THUTUC_BIND_HOST")
    rasa_port: int = Field(5005, env="RASA_PORT")
    action_port: int = Field(5055, env="ACTION_PORT")
    sync_token: Optional[str] = Field(None, env="THUTUC_SYNC_TOKEN")

    # Dossier status
    dossier_source_url: Optional[str] = Field(None, env="DOSSIER_SOURCE_URL")
    dossier_source_timeout_s: float = Field(3.0, env="DOSSIER_SOURCE_TIMEOUT")
    lookup_attempts_limit: int = Field(5, env="DOSSIER_LOOKUP_LIMIT")
    lookup_window_s: int = Field(15 * 60, env="DOSSIER_LOOKUP_WINDOW")
    # --- dossier status ---
    # Salt for the hash of the applicant's last 4 phone digits. The default only suits development: set it in
    # production (changing it later makes stored hashes unusable until the feed is re-imported).
    dossier_contact_salt: str = Field("thutuc-development-salt", env="DOSSIER_CONTACT_SALT")
    dossier_lookup_ttl_s: int = Field(30 * 60, env="DOSSIER_LOOKUP_TTL")  # how long a found/verified code is kept
    dossier_sync_max_bytes: int = Field(1_000_000, env="DOSSIER_SYNC_MAX_BYTES")
    dossier_sync_max_records: int = Field(1000, env="DOSSIER_SYNC_MAX_RECORDS")
    # Dossier notifications (issue 13: delivered wherever subscribing is offered): a failed delivery is retried after
    # base · 2^(n-1) seconds, at most max; the Rasa server looks for due rows every interval seconds.
    dossier_notify_retry_base_s: float = Field(30.0, env="DOSSIER_NOTIFY_RETRY_BASE")
    dossier_notify_retry_max_s: float = Field(3600.0, env="DOSSIER_NOTIFY_RETRY_MAX")
    dossier_notify_interval_s: float = Field(15.0, env="DOSSIER_NOTIFY_INTERVAL")
    # --- end dossier status ---

    # --- second-factor limits and client keys (issue 10: abuse-proof dossier lookup) ---
    # Wrong second factors per receipt code, across all senders and channels: the code is then locked for chat.
    dossier_code_failure_limit: int = Field(5, env="DOSSIER_CODE_FAILURE_LIMIT")
    dossier_code_failure_window_s: int = Field(24 * 3600, env="DOSSIER_CODE_FAILURE_WINDOW")
    # Wrong second factors per client (IP address or Zalo user), and unknown receipt codes per client.
    dossier_client_failure_limit: int = Field(20, env="DOSSIER_CLIENT_FAILURE_LIMIT")
    dossier_client_unknown_limit: int = Field(10, env="DOSSIER_CLIENT_UNKNOWN_LIMIT")
    dossier_client_window_s: int = Field(3600, env="DOSSIER_CLIENT_WINDOW")
    # All failed lookups together; past the budget every lookup waits `dossier_slowdown_s` and one warning is logged.
    dossier_failure_budget: int = Field(200, env="DOSSIER_FAILURE_BUDGET")
    dossier_failure_budget_window_s: int = Field(3600, env="DOSSIER_FAILURE_BUDGET_WINDOW")
    dossier_slowdown_s: float = Field(3.0, env="DOSSIER_SLOWDOWN_SECONDS")
    # Reverse proxies whose real-IP header is believed (comma list of IPs/CIDRs); the header they set.
    trusted_proxies: str = Field("", env="THUTUC_TRUSTED_PROXIES")
    real_ip_header: str = Field("X-Real-IP", env="THUTUC_REAL_IP_HEADER")
    # Key of the HMAC that turns a Zalo user id into a client key (never the raw id). Set it in production.
    client_key_secret: str = Field("thutuc-development-client-key", env="THUTUC_CLIENT_KEY_SECRET")
    # --- end second-factor limits ---

    # Zalo Official Account
    zalo_app_id: Optional[str] = Field(None, env="ZALO_APP_ID")
    zalo_app_secret: Optional[str] = Field(None, env="ZALO_APP_SECRET")
    zalo_oa_secret_key: Optional[str] = Field(None, env="ZALO_OA_SECRET_KEY")
    zalo_access_token: Optional[str] = Field(None, env="ZALO_ACCESS_TOKEN")
    zalo_refresh_token: Optional[str] = Field(None, env="ZALO_REFRESH_TOKEN")
    zalo_api_base: str = Field("https://openapi.zalo.me", env="ZALO_API_BASE")
    zalo_oauth_base: str = Field("https://oauth.zaloapp.com", env="ZALO_OAUTH_BASE")
    # Where the rotating token pair is kept when REDIS_URL is not set (Redis holds it otherwise).
    zalo_token_file: Path = Field(VAR_DIR / "zalo_tokens.json", env="ZALO_TOKEN_FILE")

    # --- dependency faults and the action server (issue 10: degradation, action-server access) ---
    # The action server listens here, separately from THUTUC_BIND_HOST: only Rasa needs to reach it.
    action_bind_host: str = Field("127.0.0.1", env="THUTUC_ACTION_BIND_HOST")
    # Shared secret Rasa sends in the X-Thutuc-Action-Secret header; the action server answers 403 without it.
    # `thutuc run` generates one per run when unset (development), and passes it to both processes.
    action_secret: Optional[str] = Field(None, env="THUTUC_ACTION_SECRET")
    # Rasa's calls to the action server: time to connect, and the whole call at most (then a polite message).
    action_connect_timeout_s: float = Field(2.0, env="THUTUC_ACTION_CONNECT_TIMEOUT")
    action_timeout_s: float = Field(8.0, env="THUTUC_ACTION_TIMEOUT")
    # Databases: PostgreSQL connect and statement timeouts, SQLite's wait for a locked file (seconds).
    database_connect_timeout_s: float = Field(5.0, env="DATABASE_CONNECT_TIMEOUT")
    database_statement_timeout_s: float = Field(10.0, env="DATABASE_STATEMENT_TIMEOUT")
    sqlite_busy_timeout_s: float = Field(5.0, env="SQLITE_BUSY_TIMEOUT")
    # While Redis is down, each process uses in-process stores and locks and tries Redis again this often.
    redis_retry_s: float = Field(5.0, env="REDIS_RETRY_SECONDS")
    # --- end dependency faults ---
    # --- public surface (issue 10: deployment profile, web chat identity, REST channel, bounds per message) ---
    # `development` (default) or `production`; production refuses unsafe defaults (docs/operations.md).
    env: str = Field("development", env="THUTUC_ENV")
    # Signs the web chat's server-issued identities; every replica needs the same value. Unset in development: a
    # random secret is generated once into `webchat_secret_file` (mode 0600). Required in production.
    webchat_secret: Optional[SecretStr] = Field(None, env="THUTUC_WEBCHAT_SECRET")
    webchat_secret_file: Path = Field(VAR_DIR / "webchat_secret", env="THUTUC_WEBCHAT_SECRET_FILE")
    # The REST channel (loopback clients only). Unset: mounted in development, not mounted in production.
    rest_channel: Optional[bool] = Field(None, env="THUTUC_REST_CHANNEL")
    # One cap for the text of every incoming message on every channel, applied before anything else reads it.
    max_message_chars: int = Field(2000, env="THUTUC_MAX_MESSAGE_CHARS")
    # Largest request body the Rasa server buffers (Sanic's own variable name); larger bodies get 413.
    request_max_bytes: int = Field(64 * 1024, env="SANIC_REQUEST_MAX_SIZE")
    # --- end public surface ---
    # --- personal data at rest and retention (issue 10: personal data) ---
    # Secret from which the field-encryption key and the keyed-hash key are derived (base/crypto.py). Unset in
    # development: generated once into `data_key_file` (mode 0600). Required in production; losing it makes
    # encrypted contacts and Zalo ids unreadable.
    data_key: Optional[SecretStr] = Field(None, env="THUTUC_DATA_KEY")
    data_key_file: Path = Field(VAR_DIR / "data_key", env="THUTUC_DATA_KEY_FILE")
    # Default age after which `thutuc privacy purge` deletes conversations, closed tickets, feedback, lookup
    # sessions and finished notifications.
    retention_days: int = Field(90, env="THUTUC_RETENTION_DAYS")
    # A message waiting for its citizen (a dossier notification Zalo refused, a web chat message the page never
    # fetched) is dropped, with a masked log line, this many days after it was queued (never later than
    # retention_days): past that, the news is stale and the citizen looks the dossier up anyway.
    pending_message_days: int = Field(14, env="THUTUC_PENDING_MESSAGE_DAYS")
    # --- end personal data ---
    # --- staff accounts and live replies (issue 13: clerk page, accounts, replies to citizens) ---
    # How long a staff login lasts (hours); the session cookie expires with it.
    staff_session_hours: float = Field(12.0, env="THUTUC_STAFF_SESSION_HOURS")
    # Wrong logins allowed per client address and per account name within the window, then 429 until it passes.
    login_client_failure_limit: int = Field(10, env="THUTUC_LOGIN_CLIENT_LIMIT")
    login_account_failure_limit: int = Field(5, env="THUTUC_LOGIN_ACCOUNT_LIMIT")
    login_failure_window_s: int = Field(15 * 60, env="THUTUC_LOGIN_WINDOW")
    # Longest wait of one web chat long poll (GET /chat/updates) before it answers "nothing new".
    chat_poll_s: float = Field(25.0, env="THUTUC_CHAT_POLL_SECONDS")
    # --- end staff accounts ---

    # --- fleet (issue 11: replicas behind nginx, deliveries recovered from a dead replica) ---
    # This replica's name in the `X-Thutuc-Replica` response header and the logs (unset: no header; the host name
    # names the process for in-flight Zalo deliveries). nginx logs it (deploy/nginx/thutuc.conf), never forwards it.
    replica_name: Optional[str] = Field(None, env="THUTUC_REPLICA_NAME")
    # How long a replica may stay silent before another one takes over the Zalo deliveries it had accepted.
    replica_heartbeat_s: float = Field(10.0, env="THUTUC_REPLICA_HEARTBEAT_SECONDS")
    # Where `thutuc serve rasa` sends custom actions (unset: http://127.0.0.1:ACTION_PORT/webhook).
    action_url: Optional[str] = Field(None, env="THUTUC_ACTION_URL")
    # --- end fleet ---

    # --- performance fixes (issue 11: bot/perf/) ---
    # Comma-separated bot/perf fixes to leave out of the Rasa server (`all`: every switchable one), to compare with
    # Rasa's own code or rule a fix out when looking for a fault; see bot/perf/__init__.py for the names.
    perf_off: str = Field("", env="THUTUC_PERF_OFF")
    # --- end performance fixes ---

    # --- metrics (issue 11: Prometheus /metrics on a private port of each process) ---
    # Each process serves its own /metrics on its own port, never on the public one: the Rasa server on
    # THUTUC_METRICS_PORT (unset: RASA_PORT + 4000, so 9005, 9006… for the replicas of one host), the action server
    # on THUTUC_ACTION_METRICS_PORT (unset: ACTION_PORT + 4000, 9055); 0 turns a process's endpoint off. Bound to
    # THUTUC_METRICS_BIND_HOST (loopback unless a Prometheus on another host or container scrapes it).
    metrics_port: Optional[int] = Field(None, env="THUTUC_METRICS_PORT")
    action_metrics_port: Optional[int] = Field(None, env="THUTUC_ACTION_METRICS_PORT")
    metrics_bind_host: str = Field("127.0.0.1", env="THUTUC_METRICS_BIND_HOST")
    # How long a scrape waits for the ticket count from the database before it reports the store as down.
    metrics_db_timeout_s: float = Field(2.0, env="THUTUC_METRICS_DB_TIMEOUT")
    # --- end metrics ---

    class Config:
        case_sensitive = False

    @validator("env", pre=True)
    def _known_environment(cls, value: object) -> str:
        name = str(value).strip().lower()
        if name not in ENVIRONMENTS:
            raise ValueError(f"THUTUC_ENV must be 'development' or 'production', not {value!r}")
        return name

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def rasa_metrics_port(self) -> int:
        """Port of the Rasa server's /metrics (0: off)."""
        return self.metrics_port if self.metrics_port is not None else self.rasa_port + METRICS_PORT_OFFSET

    @property
    def actions_metrics_port(self) -> int:
        """Port of the action server's /metrics (0: off)."""
        return self.action_metrics_port if self.action_metrics_port is not None else self.action_port + METRICS_PORT_OFFSET

    @property
    def rest_channel_enabled(self) -> bool:
        """THUTUC_REST_CHANNEL when set, else on in development only."""
        return self.rest_channel if self.rest_channel is not None else not self.is_production


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings are read once per process; tests call `get_settings.cache_clear()` after changing the environment."""
    return Settings()
