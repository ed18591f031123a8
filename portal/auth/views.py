"""Sign-in and sign-out pages."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from authlib.integrations.base_client.errors import OAuthError
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from portal.auth import access
from portal.auth import sessions as server_sessions
from portal.auth.identity import ClaimsRefused, identity_from, merge_userinfo, needs_userinfo
from portal.auth.providers import (
    ProviderClockWrong,
    configured_provider,
    end_session_url,
    id_token_checks,
    oidc_client,
)
from portal.config import OidcProviderSettings
from portal.extensions import db
from portal.models import UserSession
from portal.operations.sessions import SessionEnd, end_session, start_session, touch_session
from portal.operations.sign_in import (
    SignInRefusal,
    record_refusal,
    sign_in_with_oidc,
)

blueprint = Blueprint("auth", __name__)
NEXT_URL_KEY = "after_sign_in"

# Errors a provider sends back when the person cancelled or was not let in there.
PERSON_SIDE_ERRORS = frozenset(
    {
        "access_denied",
        "login_required",
        "interaction_required",
        "consent_required",
        "account_selection_required",
    }
)

# Each refusal on its own page, saying what is true; the status says whose problem it is.
REFUSAL_PAGES: dict[SignInRefusal, tuple[str, int]] = {
    SignInRefusal.NO_ACCOUNT: ("auth/no_access.html", 403),
    SignInRefusal.EMAIL_NOT_VERIFIED: ("auth/email_not_confirmed.html", 403),
    SignInRefusal.NO_EMAIL_ADDRESS: ("auth/email_not_confirmed.html", 403),
    SignInRefusal.ACCOUNT_INACTIVE: ("auth/account_switched_off.html", 403),
    SignInRefusal.IDENTITY_MISMATCH: ("auth/linked_elsewhere.html", 403),
    SignInRefusal.TENANT_NOT_ALLOWED: ("auth/organisation_not_allowed.html", 403),
    SignInRefusal.DOMAIN_NOT_ALLOWED: ("auth/organisation_not_allowed.html", 403),
    SignInRefusal.PROVIDER_CLOCK_WRONG: ("auth/provider_clock_wrong.html", 502),
    SignInRefusal.PROVIDER_REFUSED_CLIENT: ("auth/provider_refused.html", 502),
    SignInRefusal.PROVIDER_DENIED: ("auth/sign_in_failed.html", 400),
    SignInRefusal.SIGN_IN_EXPIRED: ("auth/sign_in_failed.html", 400),
    SignInRefusal.INVALID_ID_TOKEN: ("auth/sign_in_failed.html", 400),
    SignInRefusal.USERINFO_SUBJECT_MISMATCH: ("auth/sign_in_failed.html", 400),
}


def _safe_next(target: str | None) -> str | None:
    """Only local paths, so a crafted link cannot send someone elsewhere after sign-in."""
    if not target:
        return None
    # urlsplit drops tabs and line breaks that a Location header cannot carry, and browsers
    # read a backslash as a slash ("/\\elsewhere.example" is another site): neither is a path
    # the portal links to.
    if any(character < " " or character in "\x7f\\" for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@blueprint.get("/login")
@access.public
def login() -> str:
    """List the sign-in providers."""
    next_url = _safe_next(request.args.get("next"))
    if next_url:
        session[NEXT_URL_KEY] = next_url
    ended = server_sessions.ended_sentence(session.pop(server_sessions.ENDED_WHY_KEY, None))
    return render_template(
        "auth/login.html",
        providers=current_app.config["OIDC_PROVIDERS"],
        session_ended=ended,
        # A session that timed out ended here, not at the provider: on a shared computer the
        # next person to sign in would be this one, unless they sign out there too.
        offer_provider_sign_out=bool(ended and session.get(server_sessions.ENDED_SESSION_KEY)),
    )


@blueprint.get("/login/<provider>")
@access.public
def start_sign_in(provider: str) -> Response:
    """Send the person to their provider to sign in."""
    if configured_provider(current_app, provider) is None:
        abort(404)
    client = oidc_client(provider)
    redirect_uri = url_for("auth.finish_sign_in", provider=provider, _external=True)
    try:
        return client.authorize_redirect(redirect_uri)
    except Exception:  # the provider is down or misconfigured: tell the person, log for us
        current_app.logger.exception("Could not reach sign-in provider %s", provider)
        return Response(
            render_template("auth/sign_in_failed.html", provider_unreachable=True), status=503
        )


def _refused(
    settings: OidcProviderSettings, reason: SignInRefusal, **details: object
) -> tuple[str, int]:
    """Audit the refusal of a sign-in started here and show its page."""
    record_refusal(db.session, settings.name, reason, request.remote_addr, **details)
    session.clear()
    template, status = REFUSAL_PAGES[reason]
    return render_template(template, provider=settings, reason=reason.value, **details), status


@blueprint.get("/auth/<provider>/callback")
@access.public
def finish_sign_in(provider: str) -> Response | tuple[str, int]:
    """Complete sign-in: validate the provider's answer, then let in only provisioned users."""
    settings = configured_provider(current_app, provider)
    if settings is None:
        abort(404)
    client = oidc_client(provider)
    state = request.args.get("state")
    # Only an answer to a sign-in started in this browser is a refusal worth auditing; anything
    # else (a forged or replayed callback) is turned away without writing a row.
    started_here = bool(state) and client.framework.get_state_data(session, state) is not None

    error = request.args.get("error")
    if error:
        description = request.args.get("error_description", "")
        if not started_here:
            current_app.logger.warning(
                "An answer from %s to no sign-in started here: %s (%s)",
                provider,
                error,
                description,
            )
            return render_template("auth/sign_in_failed.html"), 400
        client.framework.clear_state_data(session, state)
        if error in PERSON_SIDE_ERRORS:
            return _refused(settings, SignInRefusal.PROVIDER_DENIED, error=error)
        current_app.logger.error(
            "Sign-in provider %s refused the client: %s (%s)", provider, error, description
        )
        return _refused(
            settings,
            SignInRefusal.PROVIDER_REFUSED_CLIENT,
            error=error,
            error_description=description[:300] or None,
        )
    if not started_here:
        return render_template("auth/sign_in_failed.html"), 400

    try:
        token = client.authorize_access_token(**id_token_checks(client))
    except ProviderClockWrong as wrong:
        current_app.logger.error(
            "Sign-in provider %s has a wrong clock: its %s is %+ds from ours",
            provider,
            wrong.problem.claim,
            wrong.problem.seconds_off,
        )
        return _refused(
            settings,
            SignInRefusal.PROVIDER_CLOCK_WRONG,
            claim=wrong.problem.claim,
            seconds_off=wrong.problem.seconds_off,
        )
    except OAuthError as refusal:
        if refusal.error == "invalid_grant":  # the code expired or was used already
            return _refused(settings, SignInRefusal.SIGN_IN_EXPIRED, error=refusal.error)
        current_app.logger.error(
            "Sign-in provider %s refused the client: %s (%s)",
            provider,
            refusal.error,
            refusal.description,
        )
        return _refused(
            settings,
            SignInRefusal.PROVIDER_REFUSED_CLIENT,
            error=refusal.error,
            error_description=(refusal.description or "")[:300] or None,
        )
    except JoseError as invalid:
        current_app.logger.warning(
            "Sign-in with %s sent an invalid ID token: %r", provider, invalid
        )
        return _refused(settings, SignInRefusal.INVALID_ID_TOKEN, error=invalid.error)
    except Exception:
        current_app.logger.exception("Sign-in with %s failed", provider)
        return render_template("auth/sign_in_failed.html", provider_unreachable=True), 503

    claims = dict(token.get("userinfo") or {})
    rules = settings.claim_rules
    try:
        if needs_userinfo(claims, rules) and client.load_server_metadata().get("userinfo_endpoint"):
            claims = merge_userinfo(claims, _read_userinfo(settings, token))
        identity = identity_from(claims, rules)
    except ClaimsRefused as refused:
        current_app.logger.warning(
            "Sign-in with %s refused: %s (%s)", provider, refused.reason, refused.detail
        )
        return _refused(
            settings,
            SignInRefusal(refused.reason),
            issuer=claims.get("iss"),
            tenant_id=claims.get("tid"),
            detail=refused.detail,
        )

    result = sign_in_with_oidc(db.session, provider, identity, request.remote_addr)
    if result.user is None:
        session.clear()
        template, status = REFUSAL_PAGES[result.refusal or SignInRefusal.NO_ACCOUNT]
        linked = configured_provider(current_app, result.linked_provider or "")
        return render_template(
            template,
            provider=settings,
            reason=result.refusal.value if result.refusal else None,
            linked_provider=linked,
        ), status

    next_url = _safe_next(session.get(NEXT_URL_KEY))
    # A session of its own on the server, under a new id (nothing from before carries over:
    # no fixation); a session this browser had before ends here.
    previous = g.get("user_session")
    if previous is not None:
        end_session(db.session, previous, SessionEnd.SIGNED_OUT, request.remote_addr)
    raw_id, _row = start_session(
        db.session,
        result.user,
        max_lifetime=server_sessions.SessionTimes.of(current_app).max_lifetime,
        provider=provider,
        id_token=token.get("id_token") if settings.sign_out_at_provider else None,
        client_address=request.remote_addr,
    )
    server_sessions.begin(raw_id)
    return redirect(next_url or url_for("pages.home"))


def _read_userinfo(settings: OidcProviderSettings, token: dict[str, object]) -> dict[str, object]:
    """The provider's userinfo; without it the ID token's claims are all there is."""
    try:
        return dict(oidc_client(settings.name).userinfo(token=token))
    except Exception:
        current_app.logger.warning("Could not read userinfo from %s", settings.name, exc_info=True)
        return {}


@blueprint.post("/logout")
@access.public
def logout() -> Response:
    """Sign out: forget the session, and end the one at the provider where it offers that."""
    row = g.get("user_session")
    if row is not None:
        end_session(db.session, row, SessionEnd.SIGNED_OUT, request.remote_addr)
    session.clear()
    g.user = g.signed_in_person = g.user_session = g.session_deadline = None
    return sign_out_at_provider(row)


def sign_out_at_provider(row: UserSession | None) -> Response:
    """After the portal's session `row` has ended: on to the provider's sign-out where it
    offers one, so the next person at a shared computer is not signed in as this one; else
    straight to the signed-out page. Also for someone pressing "Sign out" after their session
    timed out: the portal's session is over, the provider's may not be."""
    provider = configured_provider(current_app, (row.provider if row else None) or "")
    id_token = row.id_token if row else None
    if provider is not None and provider.sign_out_at_provider and id_token:
        signed_out_url = url_for("auth.signed_out", _external=True)
        try:
            at_provider = end_session_url(oidc_client(provider.name), id_token, signed_out_url)
        except Exception:  # the provider is away: the person is signed out here all the same
            current_app.logger.warning("Could not end the session at %s", provider.name)
            at_provider = None
        if at_provider:
            return _continue_to(at_provider, provider)
    return redirect(url_for("auth.signed_out"))


def _continue_to(end_session: str, provider: OidcProviderSettings) -> Response:
    """A page that moves on to the provider's sign-out at once. Not a redirect: browsers hold
    a form's redirects to the page's form-action policy ('self'), which the provider is not."""
    g.user = g.signed_in_person = None  # signed out: the layout shows no one
    g.user_session = g.session_deadline = None
    response = make_response(
        render_template("auth/signing_out.html", provider=provider, end_session_url=end_session)
    )
    response.headers["Refresh"] = f"0; url={end_session}"
    response.cache_control.no_store = True
    return response


@blueprint.get("/signed-out")
@access.public
def signed_out() -> str:
    """Confirm sign-out."""
    return render_template("auth/signed_out.html")


@blueprint.get("/session")
@access.public
def session_status() -> Response:
    """How long this browser's session has left; asking does not extend it."""
    response = current_app.json.response({"seconds_left": server_sessions.seconds_left() or 0})
    response.cache_control.no_store = True
    return response


@blueprint.post("/session/extend")
@access.signed_in
def extend_session() -> Response:
    """Stay signed in: the timeout warning's button (the idle time starts again)."""
    row = g.user_session
    touch_session(db.session, row, not_within=timedelta(0))
    server_sessions.remember_deadline(row)
    response = current_app.json.response({"seconds_left": server_sessions.seconds_left() or 0})
    response.cache_control.no_store = True
    return response
