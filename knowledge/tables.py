"""The knowledge-base tables as plain SQLAlchemy Core objects.

Reading (search, cards, the clerk lookup) uses these directly, so `thutuc tra` answers without importing the ORM;
the ORM classes in `knowledge.models` map onto the same tables for the loader and the importer. Tables are prefixed
`kb_` because other packages (dossiers, conversations) share the database with their own metadata.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

STATUS_CURATED = "curated"
STATUS_IMPORTED = "imported"

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

procedures = Table(
    "kb_procedures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("official_name", Text, nullable=False),
    Column("field", String(255), nullable=False, default=""),
    Column("level", String(255), nullable=True),
    Column("applicants", Text, nullable=True),
    Column("conditions", Text, nullable=True),
    Column("steps", JSON, nullable=False, default=list),
    Column("results", JSON, nullable=False, default=list),
    Column("legal_basis", JSON, nullable=False, default=list),  # [{"code": ..., "title": ...}]
    Column("site_overrides", JSON, nullable=True),  # site ids receiving this procedure, overriding field routing
    Column("source_decision", String(255), nullable=True),
    Column("source_url", Text, nullable=True),
    Column("reviewed", Date, nullable=True),
    Column("reviewer", String(255), nullable=True),
    Column("status", String(16), nullable=False, index=True),
    Column("review_flags", JSON, nullable=False, default=list),
    Column("parse_warnings", JSON, nullable=False, default=list),
    Column("source_file", Text, nullable=True),  # curated YAML file or imported catalogue file it came from
    Column("updated_at", DateTime, nullable=False, default=datetime.utcnow),
)

aliases = Table(
    "kb_aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("procedure_id", Integer, ForeignKey("kb_procedures.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False, default=0),
    Column("kind", String(16), nullable=False, default="alias"),  # alias | keyword (search-only words) | colloquial
    Column("text", Text, nullable=False),
    Column("folded", Text, nullable=False),
)
Index("ix_kb_aliases_folded", aliases.c.folded)

documents = Table(
    "kb_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("procedure_id", Integer, ForeignKey("kb_procedures.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False, default=0),
    Column("doc_group", String(16), nullable=False),  # submit | present | note
    Column("name", Text, nullable=False),
    Column("form", Text, nullable=True),
    Column("originals", Integer, nullable=False, default=0),
    Column("copies", Integer, nullable=False, default=0),
    Column("applies_case", Text, nullable=True),
    Column("notes", Text, nullable=True),
)

channels = Table(
    "kb_channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("procedure_id", Integer, ForeignKey("kb_procedures.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False, default=0),
    Column("type", String(16), nullable=False),  # in_person | post | online
    Column("portals", JSON, nullable=False, default=list),  # national_portal | vneid
    Column("requires_vneid_level2", Boolean, nullable=False, default=False),
    Column("time_value", Float, nullable=True),
    Column("time_unit", String(16), nullable=True),  # working_day | day | hour (imported may also hold month)
    Column("time_rule", Text, nullable=True),
    Column("fee_kind", String(16), nullable=False, default="unknown"),  # free | fixed | province | unknown
    Column("fee_amount", BigInteger, nullable=True),
    Column("fee_note", Text, nullable=True),
    Column("description", Text, nullable=True),
)

wards = Table(
    "kb_wards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("province", Text, nullable=True),
    Column("hotline", String(64), nullable=True),
    Column("email", String(255), nullable=True),
    Column("national_portal", Text, nullable=True),
    Column("vneid", Boolean, nullable=False, default=False),
    Column("sample", Boolean, nullable=False, default=False),
    Column("popular", JSON, nullable=True),  # ordered procedure codes for the "common procedures" menu
)

sites = Table(
    "kb_sites",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("ward_id", Integer, ForeignKey("kb_wards.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("name", Text, nullable=False),
    Column("address", Text, nullable=True),
    Column("phone", String(64), nullable=True),
    Column("fields", JSON, nullable=False, default=list),  # field names, or ["*"]
    Column("hours", JSON, nullable=False, default=dict),  # {"mon": [["07:30", "11:30"], ...], ...}
)

holidays = Table(
    "kb_holidays",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("name", Text, nullable=False),
)

closures = Table(  # ad-hoc closures in local time; site_id NULL closes every site
    "kb_closures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(64), ForeignKey("kb_sites.id", ondelete="CASCADE"), nullable=True),
    Column("start", DateTime, nullable=False),
    Column("end", DateTime, nullable=False),
    Column("reason", Text, nullable=True),
)
