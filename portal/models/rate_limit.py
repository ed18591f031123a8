"""Counters that every worker process and host shares: how often something was refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UtcDateTime


class RateLimitCounter(Base):
    """How many times one thing (a client address, a token's hash, a person on a PEP) was
    counted in one fixed time window. Rows past their window are deleted as others are counted."""

    __tablename__ = "rate_limit_counters"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start_utc: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at_utc: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
