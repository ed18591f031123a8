"""OpenPEP: the Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers

from portal import errors, security
from portal.auth import access, current_user
from portal.auth.providers import register_providers
from portal.config import settings_from_environment
from portal.extensions import csrf, db, htmx
from portal.form_registry import form_registry
from portal.peps.presenters import register_template_helpers as register_section_helpers
from portal.presentation import register_template_helpers

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SERVICE_NAME = "Personal Education Plans"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal from environment settings, with `config` overriding them (tests)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("OPENPEP_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.update(settings_from_environment(os.environ, Path(app.instance_path)))
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _configure_templates(app)
    # Refuse to start on an invalid form definition; the error names the file and the path.
    with app.app_context():
        form_registry()
    db.init_app(app)
    from portal.admin.imports import raise_upload_limit_for_imports

    app.before_request(raise_upload_limit_for_imports)  # before the CSRF check reads the form
    csrf.init_app(app)
    htmx.init_app(app)
    register_providers(app)
    current_user.init_app(app)

    from portal.admin import blueprint as admin_blueprint
    from portal.auth.views import blueprint as auth_blueprint
    from portal.children.views import blueprint as children_blueprint
    from portal.exports.views import blueprint as exports_blueprint
    from portal.invites.views import blueprint as invites_blueprint
    from portal.meetings.views import blueprint as meetings_blueprint
    from portal.messages.views import blueprint as messages_blueprint
    from portal.pages.views import blueprint as pages_blueprint
    from portal.peps.views import blueprint as peps_blueprint

    app.register_blueprint(pages_blueprint)
    app.register_blueprint(auth_blueprint)
    app.register_blueprint(children_blueprint)
    app.register_blueprint(peps_blueprint)
    app.register_blueprint(exports_blueprint)
    app.register_blueprint(invites_blueprint)
    app.register_blueprint(messages_blueprint)
    app.register_blueprint(meetings_blueprint)
    app.register_blueprint(admin_blueprint)

    errors.init_app(app)
    security.init_app(app)
    security.wrap_network_edge(app)
    security.mask_invite_tokens_in_logs((*security.REQUEST_LOGGERS, app.logger.name))

    from portal import cli

    cli.init_app(app)
    from portal.imports.cli import register_import_commands

    register_import_commands(app)
    access.check_every_view_has_an_access_rule(app)
    return app


def _configure_templates(app: Flask) -> None:
    app.jinja_loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(str(PROJECT_ROOT / "templates")),
            jinja2.PrefixLoader(
                {
                    "govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": jinja2.PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    # govuk-frontend-jinja macros read optional parameters that are often absent.
    app.jinja_env.undefined = jinja2.ChainableUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    register_template_helpers(app)
    register_section_helpers(app)

    @app.context_processor
    def branding() -> dict[str, Any]:
        return {
            "authority_name": app.config["AUTHORITY_NAME"],
            "service_name": SERVICE_NAME,
        }
