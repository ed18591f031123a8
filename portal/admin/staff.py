"""Admin: staff."""

from __future__ import annotations

from portal.admin import blueprint  # noqa: F401
