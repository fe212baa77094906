"""Database tables of the procedure knowledge base.

The ORM classes stay inside the `knowledge` package: callers get frozen dataclasses from `knowledge.api`. Tables are
prefixed `kb_` because other packages (dossiers, conversations) share the same database with their own metadata.
Structured lists that are only ever read whole (steps, results, legal basis, flags) are JSON columns.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.sql.schema import Column, Index, MetaData

STATUS_CURATED = "curated"
STATUS_IMPORTED = "imported"

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=_NAMING))


class Procedure(Base):
    __tablename__ = "kb_procedures"

    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False, unique=True)
    name = Column(Text, nullable=False)
    official_name = Column(Text, nullable=False)
    field = Column(String(255), nullable=False, default="")
    level = Column(String(255), nullable=True)
    applicants = Column(Text, nullable=True)
    conditions = Column(Text, nullable=True)
    steps = Column(JSON, nullable=False, default=list)
    results = Column(JSON, nullable=False, default=list)
    legal_basis = Column(JSON, nullable=False, default=list)  # [{"code": ..., "title": ...}]
    site_overrides = Column(JSON, nullable=True)  # site ids receiving this procedure, overriding field routing
    source_decision = Column(String(255), nullable=True)
    source_url = Column(Text, nullable=True)
    reviewed = Column(Date, nullable=True)
    reviewer = Column(String(255), nullable=True)
    status = Column(String(16), nullable=False, index=True)
    review_flags = Column(JSON, nullable=False, default=list)
    parse_warnings = Column(JSON, nullable=False, default=list)
    source_file = Column(Text, nullable=True)  # curated YAML file or imported catalogue file it came from
    updated_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    aliases = relationship("Alias", cascade="all, delete-orphan", order_by="Alias.position", lazy="selectin")
    documents = relationship(
        "RequiredDocument", cascade="all, delete-orphan", order_by="RequiredDocument.position", lazy="selectin"
    )
    channels = relationship(
        "SubmissionChannel", cascade="all, delete-orphan", order_by="SubmissionChannel.position", lazy="selectin"
    )


class Alias(Base):
    """A way people name a procedure (kind "alias") or an extra search word (kind "keyword")."""

    __tablename__ = "kb_aliases"

    id = Column(Integer, primary_key=True)
    procedure_id = Column(Integer, ForeignKey("kb_procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False, default=0)
    kind = Column(String(16), nullable=False, default="alias")
    text = Column(Text, nullable=False)
    folded = Column(Text, nullable=False)


Index("ix_kb_aliases_folded", Alias.folded)


class RequiredDocument(Base):
    __tablename__ = "kb_documents"

    id = Column(Integer, primary_key=True)
    procedure_id = Column(Integer, ForeignKey("kb_procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False, default=0)
    group = Column("doc_group", String(16), nullable=False)  # submit | present | note
    name = Column(Text, nullable=False)
    form = Column(Text, nullable=True)
    originals = Column(Integer, nullable=False, default=0)
    copies = Column(Integer, nullable=False, default=0)
    case = Column("applies_case", Text, nullable=True)
    notes = Column(Text, nullable=True)


class SubmissionChannel(Base):
    __tablename__ = "kb_channels"

    id = Column(Integer, primary_key=True)
    procedure_id = Column(Integer, ForeignKey("kb_procedures.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False, default=0)
    type = Column(String(16), nullable=False)  # in_person | post | online
    portals = Column(JSON, nullable=False, default=list)  # national_portal | vneid
    requires_vneid_level2 = Column(Boolean, nullable=False, default=False)
    time_value = Column(Float, nullable=True)
    time_unit = Column(String(16), nullable=True)  # working_day | day | hour (imported may also hold month)
    time_rule = Column(Text, nullable=True)
    fee_kind = Column(String(16), nullable=False, default="unknown")  # free | fixed | province | unknown
    fee_amount = Column(BigInteger, nullable=True)
    fee_note = Column(Text, nullable=True)
    description = Column(Text, nullable=True)


class Ward(Base):
    __tablename__ = "kb_wards"

    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    province = Column(Text, nullable=True)
    hotline = Column(String(64), nullable=True)
    email = Column(String(255), nullable=True)
    national_portal = Column(Text, nullable=True)
    vneid = Column(Boolean, nullable=False, default=False)
    sample = Column(Boolean, nullable=False, default=False)
    popular = Column(JSON, nullable=True)  # ordered procedure codes for the "common procedures" menu

    sites = relationship("Site", cascade="all, delete-orphan", order_by="Site.position", lazy="selectin")


class Site(Base):
    __tablename__ = "kb_sites"

    id = Column(String(64), primary_key=True)
    ward_id = Column(Integer, ForeignKey("kb_wards.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False, default=0)
    name = Column(Text, nullable=False)
    address = Column(Text, nullable=True)
    phone = Column(String(64), nullable=True)
    fields = Column(JSON, nullable=False, default=list)  # field names, or ["*"]
    hours = Column(JSON, nullable=False, default=dict)  # {"mon": [["07:30", "11:30"], ...], ...}


class Holiday(Base):
    __tablename__ = "kb_holidays"

    id = Column(Integer, primary_key=True)
    day = Column(Date, nullable=False)
    name = Column(Text, nullable=False)


class Closure(Base):
    """An ad-hoc closure in local time; `site_id` NULL closes every site."""

    __tablename__ = "kb_closures"

    id = Column(Integer, primary_key=True)
    site_id = Column(String(64), ForeignKey("kb_sites.id", ondelete="CASCADE"), nullable=True)
    start = Column(DateTime, nullable=False)
    end = Column(DateTime, nullable=False)
    reason = Column(Text, nullable=True)


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
