"""England's day as the portal reads it, set by a test: `clock.day = ...`. A test module makes it a
fixture of its own: `Clock(monkeypatch)`."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from portal import academic


class Clock:
    """Every portal module that imported `england_today` is given this clock's instead."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = academic.england_today  # before any module's is replaced, academic's included
        self.day = real()
        for module in list(sys.modules.values()):
            name = getattr(module, "__name__", "")
            if name.startswith("portal") and getattr(module, "england_today", None) is real:
                monkeypatch.setattr(module, "england_today", self.today)

    def today(self, now: object = None) -> date:
        return self.day
