"""ORM classes over the knowledge-base tables (`knowledge.tables`), used by the loader and the importer.

Readers use the Core tables and get frozen dataclasses from `knowledge.api`; ORM objects never leave this package.
"""
from __future__ import annotations

from sqlalchemy.orm import declarative_base, relationship

from knowledge import tables
from knowledge.tables import STATUS_CURATED, STATUS_IMPORTED

Base = declarative_base(metadata=tables.metadata)


class Procedure(Base):
    __table__ = tables.procedures

    aliases = relationship("Alias", cascade="all, delete-orphan", order_by="Alias.position", lazy="selectin")
    documents = relationship(
        "RequiredDocument", cascade="all, delete-orphan", order_by="RequiredDocument.position", lazy="selectin"
    )
    channels = relationship(
        "SubmissionChannel", cascade="all, delete-orphan", order_by="SubmissionChannel.position", lazy="selectin"
    )


class Alias(Base):
    """A way people name a procedure (kind "alias", or "colloquial" from colloquial.yml) or an extra search word (kind
    "keyword")."""

    __table__ = tables.aliases


class RequiredDocument(Base):
    __table__ = tables.documents
    group = tables.documents.c.doc_group  # submit | present | note
    case = tables.documents.c.applies_case


class SubmissionChannel(Base):
    __table__ = tables.channels


class Ward(Base):
    __table__ = tables.wards

    sites = relationship("Site", cascade="all, delete-orphan", order_by="Site.position", lazy="selectin")


class Site(Base):
    __table__ = tables.sites


class Holiday(Base):
    __table__ = tables.holidays


class Closure(Base):
    """An ad-hoc closure in local time; `site_id` NULL closes every site."""

    __table__ = tables.closures


__all__ = [
    "Alias",
    "Base",
    "Closure",
    "Holiday",
    "Procedure",
    "RequiredDocument",
    "Site",
    "STATUS_CURATED",
    "STATUS_IMPORTED",
    "SubmissionChannel",
    "Ward",
]
