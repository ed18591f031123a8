"""Sign-in with OpenID Connect, sign-out, role guards and the current user."""
