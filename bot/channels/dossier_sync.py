"""`POST /api/dossiers/sync`: the one-stop system pushes dossier creations and state changes.

A Rasa input channel only so that it mounts on the Rasa server (no chat happens here). Contract (docs/dossiers.md,
"Sync API"): `Authorization: Bearer <THUTUC_SYNC_TOKEN>`; JSON body `{"records": [...]}` (or a bare list) in the feed
schema; the whole batch is validated first and applied in one transaction, or rejected (422) with a reason per
record; re-sending a batch changes nothing and notifies nobody twice.

The channel also runs the notification loop of this server process (bot/channels/notifications.py): started with the
server, woken when a batch queued notifications, stopped before the server stops.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Awaitable, Callable, Optional, Text
from zoneinfo import ZoneInfo

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from base.blocking import run_blocking
from bot.channels.http_body import BadJson, BodyTooLarge, parse_json, read_body_limited
from base.privacy import install_log_masking
from base.settings import Settings, get_settings

logger = logging.getLogger(__name__)
install_log_masking()


class DossierSyncInput(InputChannel):
    def __init__(self, settings: Optional[Settings] = None, store=None, notifier=None) -> None:
        self.settings = settings or get_settings()
        self._store = store
        self._notifier = notifier
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    def name(cls) -> Text:
        return "dossier_sync"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[Text, Any]]) -> "DossierSyncInput":
        """credentials.yml holds no secret for this channel: the token comes from THUTUC_SYNC_TOKEN."""
        return cls()

    def url_prefix(self) -> Text:
        return "/api/dossiers"

    def get_output_channel(self):
        return None  # not a chat channel

    # --- collaborators, created on first use so the Rasa server starts even if the database is slow --------------

    def store(self):
        if self._store is None:
            from dossiers.store import DossierStore

            self._store = DossierStore(self.settings.database_url)
        return self._store

    def notifier(self):
        """The notification loop (bot/channels/notifications.py), or the one a test passed in."""
        if self._notifier is None:
            from bot.channels.notifications import NotificationLoop

            self._notifier = NotificationLoop.from_settings(self.store(), self.settings)
        return self._notifier

    async def wait_for_background_tasks(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _start_notifications(self) -> None:
        try:
            loop = await run_blocking(self.notifier)
        except Exception as error:  # noqa: BLE001 - the database may be slow to come up; the next sync retries
            logger.error("dossier notifications not started: %s", type(error).__name__)
            return
        loop.start()

    def _authorised(self, request: Request) -> bool:
        token = self.settings.sync_token
        header = request.headers.get("authorization") or ""
        scheme, _, given = header.partition(" ")
        if not token or scheme.lower() != "bearer" or not given:
            return False
        return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sync = Blueprint("dossier_sync", __name__)

        @sync.route("/sync", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request)

        @sync.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            await self._start_notifications()

        @sync.listener("before_server_stop")
        async def finish(app: Any, loop: Any) -> None:
            await self.wait_for_background_tasks()
            if self._notifier is not None:
                await self._notifier.stop()

        return sync

    async def _receive(self, request: Request) -> HTTPResponse:
        if not self._authorised(request):
            return response.json({"accepted": False, "error": "unauthorized"}, status=401,
                                 headers={"WWW-Authenticate": "Bearer"})
        try:
            raw = await read_body_limited(request, self.settings.dossier_sync_max_bytes)
        except BodyTooLarge:
            return response.json({"accepted": False, "error": "payload too large",
                                  "max_bytes": self.settings.dossier_sync_max_bytes}, status=413)
        try:
            body = parse_json(raw)
        except BadJson:
            return response.json({"accepted": False, "error": "body is not UTF-8 JSON"}, status=400)
        records = body.get("records") if isinstance(body, dict) else body
        if not isinstance(records, list) or not records:
            return response.json({"accepted": False, "error": "expected a non-empty list under \"records\""},
                                 status=400)
        if len(records) > self.settings.dossier_sync_max_records:
            return response.json({"accepted": False, "error": "too many records",
                                  "max_records": self.settings.dossier_sync_max_records}, status=413)

        from dossiers.feed import validate_records

        validation = validate_records(enumerate(records, start=1), salt=self.settings.dossier_contact_salt,
                                      tz=ZoneInfo(self.settings.timezone))
        if validation.errors:
            errors = [{"record": error.line, "message": error.message} for error in validation.errors]
            return response.json({"accepted": False, "errors": errors}, status=422)

        try:
            result = await run_blocking(lambda: self.store().apply(validation.records, "sync"))
        except Exception as error:  # the database is down: the sender retries the batch, nothing was applied
            logger.error("dossier sync failed to store the batch: %s", type(error).__name__)
            return response.json({"accepted": False, "error": "storage unavailable, retry later"}, status=503)
        if result.notifications:
            task = asyncio.create_task(self._deliver())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)  # the loop, already started, is only woken
        return response.json({
            "accepted": True, "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "stale": result.stale, "state_changes": result.state_changes, "notifications": result.notifications,
            "dropped_personal_fields": sorted(validation.dropped_personal_fields),
            "ignored_fields": sorted(validation.ignored_fields),
        })

    async def _deliver(self) -> None:
        if self._notifier is None:
            await self._start_notifications()
        if self._notifier is not None:
            self._notifier.start()
            self._notifier.wake()
