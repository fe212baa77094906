"""Names the dossier answers borrow from the knowledge base: procedure names and ward sites.

A dossier answer must still work when the knowledge base is empty or broken, so every failure here becomes "unknown"
and the caller falls back to the procedure code or a generic "the centre".
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional, Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SitePlace:
    name: str
    address: Optional[str] = None


@dataclass(frozen=True)
class WardContact:
    name: Optional[str]
    hotline: Optional[str]


class Directory(Protocol):
    def procedure_name(self, code: str) -> Optional[str]: ...

    def site(self, site_id: str) -> Optional[SitePlace]: ...

    def ward_contact(self) -> Optional[WardContact]: ...


class KnowledgeDirectory:
    """`knowledge.api.KnowledgeBase` behind the small interface the dossier messages need."""

    def __init__(self, kb=None):
        self._kb = kb

    def _base(self):
        if self._kb is None:
            from knowledge.api import KnowledgeBase

            self._kb = KnowledgeBase.from_settings()
        return self._kb

    def procedure_name(self, code: str) -> Optional[str]:
        try:
            card = self._base().card(code)
        except Exception as error:  # the knowledge base is optional for a status answer
            logger.warning("procedure name unavailable: %s", type(error).__name__)
            return None
        return card.name if card is not None else None

    def site(self, site_id: str) -> Optional[SitePlace]:
        try:
            ward = self._base().ward()
        except Exception as error:
            logger.warning("ward data unavailable: %s", type(error).__name__)
            return None
        for site in ward.sites if ward else ():
            if site.id == site_id:
                return SitePlace(site.name, site.address)
        return None

    def ward_contact(self) -> Optional[WardContact]:
        try:
            ward = self._base().ward()
        except Exception as error:
            logger.warning("ward data unavailable: %s", type(error).__name__)
            return None
        return WardContact(ward.name, ward.hotline) if ward else None


class EmptyDirectory:
    def procedure_name(self, code: str) -> Optional[str]:
        return None

    def site(self, site_id: str) -> Optional[SitePlace]:
        return None

    def ward_contact(self) -> Optional[WardContact]:
        return None
