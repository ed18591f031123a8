"""Sign-in with OpenID Connect, sign-out, role guards and the current user."""

from portal.auth.views import blueprint

__all__ = ["blueprint"]
