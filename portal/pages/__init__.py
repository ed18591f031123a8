"""Pages every visitor can see: start page, accessibility statement, privacy notice, health."""

from portal.pages.views import blueprint

__all__ = ["blueprint"]
