"""Who may use a view: every view declares exactly one access rule.

The app factory refuses to start when a view has none, and the access-matrix test lists
every route with who may use it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, url_for

from workflows.roles import Role

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class AccessRule:
    """`public`, any signed-in user, or signed-in users holding one of `roles`."""

    kind: str
    roles: frozenset[Role] = frozenset()

    def describe(self) -> str:
        if self.kind == "roles":
            return "roles:" + ",".join(sorted(role.value for role in self.roles))
        return self.kind


def public(view: View) -> View:
    """Anyone, signed in or not."""
    view.access_rule = AccessRule("public")  # type: ignore[attr-defined]
    return view


def signed_in(view: View) -> View:
    """Any signed-in user; the view itself narrows what they see (for example their children)."""
    return _guarded(view, AccessRule("signed_in"))


def roles(*allowed: Role) -> Callable[[View], View]:
    """Signed-in users holding one of these roles anywhere."""

    def decorate(view: View) -> View:
        return _guarded(view, AccessRule("roles", frozenset(allowed)))

    return decorate


def _guarded(view: View, rule: AccessRule) -> View:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = g.get("user")
        if user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if rule.kind == "roles" and not (user.roles() & rule.roles):
            abort(403)
        return view(*args, **kwargs)

    wrapper.access_rule = rule  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def access_rule_of(app: Flask, endpoint: str) -> AccessRule | None:
    return getattr(app.view_functions[endpoint], "access_rule", None)


def check_every_view_has_an_access_rule(app: Flask) -> None:
    """Refuse to start when a view was written without saying who may use it."""
    missing = sorted(
        endpoint
        for endpoint in app.view_functions
        if endpoint != "static" and access_rule_of(app, endpoint) is None
    )
    if missing:
        raise RuntimeError(f"These views have no access rule: {', '.join(missing)}")
