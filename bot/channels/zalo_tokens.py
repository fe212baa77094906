"""Zalo OA access/refresh token persistence and single-flight refresh.

Zalo's refresh token is single use and rotates on every refresh: the pair returned by a refresh must be stored
before anything else happens, and only one process may refresh at a time, otherwise a second replica burns the
refresh token the first one just received and the OA is locked out until someone re-authorises it by hand.

Storage: an atomically replaced JSON file (`settings.zalo_token_file`, default `var/zalo_tokens.json`) guarded by an
OS file lock, or Redis with a Redis lock when `settings.redis_url` is set (several replicas on several hosts).
The first start seeds the store from `ZALO_ACCESS_TOKEN` / `ZALO_REFRESH_TOKEN`; afterwards the store wins.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Optional, Protocol

from base.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# Refresh a little before the announced expiry so a send never starts with a token about to die.
EXPIRY_MARGIN_S = 300
REDIS_TOKENS_KEY = "thutuc:zalo:tokens"
REDIS_LOCK_KEY = "thutuc:zalo:tokens:lock"
LOCK_TIMEOUT_S = 30


class ZaloTokenError(RuntimeError):
    """No usable token pair: the OA must be (re)authorised; see docs/channels.md."""


@dataclass(frozen=True)
class ZaloTokens:
    access_token: str
    refresh_token: str
    expires_at: Optional[float] = None  # epoch seconds; None when unknown (e.g. seeded from the environment)

    def expires_soon(self, now: Optional[float] = None) -> bool:
        if self.expires_at is None:
            return False
        return (now if now is not None else time.time()) >= self.expires_at - EXPIRY_MARGIN_S

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> "ZaloTokens":
        data = json.loads(raw)
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            expires_at=float(data["expires_at"]) if data.get("expires_at") is not None else None,
        )


class TokenStore(Protocol):
    async def load(self) -> Optional[ZaloTokens]:
        """The stored pair, None when nothing is stored yet."""

    async def save(self, tokens: ZaloTokens) -> None:
        """Persist durably before returning."""

    def refresh_lock(self) -> "contextlib.AbstractAsyncContextManager[None]":
        """Held while refreshing so only one refresh runs across processes/replicas."""


class FileTokenStore:
    """JSON file replaced atomically (write temp, fsync, rename); an flock serialises refreshes on one host."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._process_lock = asyncio.Lock()

    async def load(self) -> Optional[ZaloTokens]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return ZaloTokens.from_json(raw)
        except (ValueError, KeyError, TypeError):
            logger.error("Zalo token file %s is unreadable; falling back to the environment tokens", self.path)
            return None

    async def save(self, tokens: ZaloTokens) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._write_atomically, tokens.to_json())

    def _write_atomically(self, content: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)  # secrets: owner only
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself must survive a crash
        finally:
            os.close(dir_fd)

    @contextlib.asynccontextmanager
    async def refresh_lock(self) -> AsyncIterator[None]:
        async with self._process_lock:
            self._lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self._lock_path, "a+")
            try:
                await asyncio.get_running_loop().run_in_executor(None, fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            finally:
                handle.close()


class RedisTokenStore:
    """Token pair in one Redis key; a Redis lock makes the refresh single-flight across replicas.

    While Redis is down, the pair this process last read or wrote keeps being used (messages still go out); a
    refresh is refused until Redis answers, since refreshing without the shared lock could spend the single-use
    refresh token another replica is using. The outage is logged once, with the key store's (base/keystore.py).
    """

    def __init__(self, redis_url: str, key: str = REDIS_TOKENS_KEY, lock_key: str = REDIS_LOCK_KEY) -> None:
        import redis.asyncio as redis_asyncio

        from base.keystore import redis_errors, redis_outage

        self._redis = redis_asyncio.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
        self._errors = redis_errors()
        self._outage = redis_outage(redis_url)
        self._key = key
        self._lock_key = lock_key
        self._process_lock = asyncio.Lock()
        self._last: Optional[ZaloTokens] = None

    async def load(self) -> Optional[ZaloTokens]:
        if self._outage.down and self._last is not None and not self._outage.should_try():
            return self._last
        try:
            raw = await self._redis.get(self._key)
        except self._errors as error:
            self._outage.failed(error)
            if self._last is not None:
                return self._last
            raise ZaloTokenError(f"Zalo token store unavailable: {type(error).__name__}") from error
        self._outage.succeeded()
        if raw is None:
            return None
        self._last = ZaloTokens.from_json(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        return self._last

    async def save(self, tokens: ZaloTokens) -> None:
        try:
            await self._redis.set(self._key, tokens.to_json())
        except self._errors as error:
            self._outage.failed(error)
            # The new refresh token exists only in memory now: say so loudly, the operator may need to re-authorise.
            logger.critical("Could not store the refreshed Zalo tokens (%s)", type(error).__name__)
            self._last = tokens
            raise ZaloTokenError("Zalo token store unavailable") from error
        self._outage.succeeded()
        self._last = tokens

    @contextlib.asynccontextmanager
    async def refresh_lock(self) -> AsyncIterator[None]:
        async with self._process_lock:
            lock = self._redis.lock(self._lock_key, timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_TIMEOUT_S + 5)
            try:
                acquired = await lock.acquire()
            except self._errors as error:
                self._outage.failed(error)
                raise ZaloTokenError(f"Zalo token store unavailable: {type(error).__name__}") from error
            if not acquired:
                raise ZaloTokenError("Could not acquire the Zalo token refresh lock")
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # lock may have expired; the next holder is fine
                    await lock.release()

    async def close(self) -> None:
        await self._redis.close()


Refresher = Callable[[str], Awaitable[ZaloTokens]]


class TokenManager:
    """Hands out the current access token and refreshes it once when Zalo rejects it."""

    def __init__(self, store: TokenStore, refresher: Refresher, bootstrap: Optional[ZaloTokens] = None) -> None:
        self.store = store
        self._refresher = refresher
        self._bootstrap = bootstrap

    async def current(self) -> ZaloTokens:
        tokens = await self.store.load()
        if tokens is None and self._bootstrap is not None:
            async with self.store.refresh_lock():
                tokens = await self.store.load()
                if tokens is None:
                    await self.store.save(self._bootstrap)
                    tokens = self._bootstrap
        if tokens is None:
            raise ZaloTokenError("No Zalo token stored and ZALO_ACCESS_TOKEN/ZALO_REFRESH_TOKEN are not set")
        return tokens

    async def refresh(self, rejected_access_token: str) -> ZaloTokens:
        """Refresh unless another task/replica already did since `rejected_access_token` was read."""
        async with self.store.refresh_lock():
            tokens = await self.store.load() or self._bootstrap
            if tokens is None:
                raise ZaloTokenError("No Zalo refresh token available")
            if tokens.access_token != rejected_access_token and not tokens.expires_soon():
                return tokens  # someone refreshed while we waited for the lock
            fresh = await self._refresher(tokens.refresh_token)
            # The old refresh token is now spent: persist the new pair before anyone uses it.
            await self.store.save(fresh)
            logger.info("Zalo access token refreshed")
            return fresh


def token_store_from_settings(settings: Optional[Settings] = None) -> TokenStore:
    settings = settings or get_settings()
    if settings.redis_url:
        return RedisTokenStore(settings.redis_url)
    return FileTokenStore(settings.zalo_token_file)


def bootstrap_tokens_from_settings(settings: Optional[Settings] = None) -> Optional[ZaloTokens]:
    settings = settings or get_settings()
    if settings.zalo_access_token and settings.zalo_refresh_token:
        return ZaloTokens(settings.zalo_access_token, settings.zalo_refresh_token, expires_at=None)
    return None
