"""The Virtual School admin's area: staff and their roles, schools and settings, imports."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.auth import access
from workflows.roles import Role

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.get("")
@access.roles(Role.ADMIN)
def admin_home() -> str:
    """What an admin can look after."""
    return render_template("admin/home.html")


# Each area adds its views to the blueprint.
from portal.admin import children, imports, schools, staff, term_dates  # noqa: E402, F401
