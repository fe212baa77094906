"""The operator's decisions on groups of unanswered questions (table `review_decisions`, Alembic branch `review`)."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base(metadata=MetaData(naming_convention={"pk": "pk_%(table_name)s",
                                                             "uq": "uq_%(table_name)s_%(column_0_name)s"}))
metadata = Base.metadata

DECISION_PROCEDURE = "procedure"
DECISION_OUT_OF_SCOPE = "out_of_scope"


class ReviewRow(Base):
    __tablename__ = "review_decisions"

    id = Column(Integer, primary_key=True)
    group_key = Column(String(400), nullable=False, unique=True)  # analytics.misses.question_key of the group
    texts = Column(Text, nullable=False)  # JSON list of the masked texts the operator saw (what the export writes)
    decision = Column(String(16), nullable=False)  # procedure | out_of_scope
    procedure_code = Column(String(32), nullable=True)
    facet = Column(String(24), nullable=True)
    reviewer = Column(String(80), nullable=False)
    reviewed_at = Column(DateTime(timezone=True), nullable=False)
