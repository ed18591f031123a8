"""The secret in an invite link: random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets

# 32 random bytes: guessing one is hopeless even without the rate limit.
TOKEN_BYTES = 32
# What token_urlsafe(32) produces; anything else is refused before touching the database.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{40,64}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 is enough here: the token is high-entropy, so no slow hash or salt is needed."""
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()


def looks_like_a_token(candidate: str) -> bool:
    return bool(_TOKEN_SHAPE.fullmatch(candidate))
