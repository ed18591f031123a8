"""Settings read from environment variables only, with safe development defaults."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from portal.auth.identity import (
    ADDRESS_CLAIMS,
    ENTRA_MULTI_TENANT_SEGMENTS,
    TENANT_ID,
    ClaimRules,
    ClientAuthMethod,
    ProviderKind,
)

if TYPE_CHECKING:
    from datetime import date

    from workflows.timeliness import TimelinessRules

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-not-for-real-use"  # noqa: S105
ENVIRONMENTS = ("development", "test", "production")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
DEMO_PROVIDER_ISSUER = "http://127.0.0.1:9400"
BASE_SCOPES = ("openid", "email", "profile")
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "1"), ("false", "no", "0")
# Per-provider settings beyond the required four: OPENPEP_OIDC_<NAME>_<KEY upper-cased>.
OPTIONAL_PROVIDER_KEYS = (
    "label",
    "kind",
    "email_claim",
    "trust_email",
    "client_auth_method",
    "extra_scopes",
    "allowed_tenants",
    "allowed_domains",
    "sign_out_at_provider",
)


class ConfigurationError(RuntimeError):
    """The environment does not describe a portal that can safely start."""


@dataclass(frozen=True)
class OidcProviderSettings:
    """One OpenID Connect provider people may sign in with."""

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    # Entra ID binds accounts to oid + tid; every other provider to issuer + sub.
    kind: ProviderKind = ProviderKind.GENERIC
    # Which claim carries the address that finds the account at its first sign-in.
    email_claim: str = "email"
    # Whether the provider's addresses count as verified when the token does not say (strict).
    trust_email: bool = False
    client_auth_method: ClientAuthMethod = ClientAuthMethod.BASIC
    extra_scopes: tuple[str, ...] = ()
    # Entra tenants (tid) whose people may sign in; needed with a multi-tenant issuer.
    allowed_tenants: tuple[str, ...] = ()
    # Google Workspace domains (the hd claim) whose people may sign in.
    allowed_domains: tuple[str, ...] = ()
    # End the session at the provider too on sign-out, where it offers RP-initiated logout.
    sign_out_at_provider: bool = True

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def scope(self) -> str:
        scopes = [*BASE_SCOPES, *(s for s in self.extra_scopes if s not in BASE_SCOPES)]
        return " ".join(dict.fromkeys(scopes))

    @property
    def claim_rules(self) -> ClaimRules:
        return ClaimRules(
            kind=self.kind,
            email_claim=self.email_claim,
            trust_email=self.trust_email,
            allowed_tenants=frozenset(self.allowed_tenants),
            allowed_domains=frozenset(self.allowed_domains),
        )


def demo_provider(issuer: str = DEMO_PROVIDER_ISSUER) -> OidcProviderSettings:
    """The development provider in devtools/, which `make run` starts beside the portal."""
    return OidcProviderSettings(
        name="demo",
        label="Demo sign-in (development only)",
        issuer=issuer,
        client_id="openpep-demo",
        client_secret="openpep-demo-secret",  # noqa: S106 - a published development value
    )


def settings_from_environment(environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Read every setting the portal needs from `environ` and return Flask config keys."""
    environment = environ.get("OPENPEP_ENV", "development").strip().lower()
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"OPENPEP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}."
        )
    production = environment == "production"

    secret_key = environ.get("SECRET_KEY", "")
    if production:
        if not secret_key or secret_key == DEVELOPMENT_SECRET_KEY or len(secret_key) < 32:
            raise ConfigurationError(
                "Set SECRET_KEY to a random value of at least 32 characters before starting "
                "OpenPEP in production, for example the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`."
            )
    elif not secret_key:
        secret_key = DEVELOPMENT_SECRET_KEY

    default_database = f"sqlite:///{instance_path / 'openpep.sqlite3'}"
    database_url = environ.get("DATABASE_URL", default_database)
    if production and database_url.startswith("sqlite"):
        raise ConfigurationError(
            "Set DATABASE_URL to a PostgreSQL database before starting OpenPEP in production, "
            "for example postgresql+psycopg://openpep@db.example/openpep."
        )

    brand_colour = environ.get("OPENPEP_BRAND_COLOUR", "#1d4f91")
    if not HEX_COLOUR.match(brand_colour):
        raise ConfigurationError(
            f"OPENPEP_BRAND_COLOUR must be a colour like #1d4f91, not {brand_colour!r}."
        )

    qa_scale, qa_threshold = qa_settings_from_environment(environ)
    timeliness_rules = timeliness_rules_from_environment(environ)
    idle_minutes = _positive_number(environ, "OPENPEP_SESSION_IDLE_MINUTES", 30)
    max_hours = _positive_number(environ, "OPENPEP_SESSION_MAX_HOURS", 12)
    providers = oidc_providers_from_environment(environ)
    if not providers and not production:
        providers = (demo_provider(environ.get("OPENPEP_DEMO_ISSUER", DEMO_PROVIDER_ISSUER)),)
    if production and any(p.name == "demo" for p in providers):
        raise ConfigurationError("The demo sign-in provider cannot be used in production.")

    return {
        "OPENPEP_ENV": environment,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "AUTHORITY_NAME": environ.get("OPENPEP_AUTHORITY_NAME", "Demo County Council"),
        # Where people ask for another format or report an accessibility problem (the
        # accessibility statement shows it; without it, the statement names the Virtual School).
        "ACCESSIBILITY_CONTACT": environ.get("OPENPEP_ACCESSIBILITY_CONTACT", "").strip(),
        "BRAND_COLOUR": brand_colour,
        "OIDC_PROVIDERS": providers,
        "QA_SCALE": qa_scale,
        "QA_THRESHOLD": qa_threshold,
        # When each PEP is due: workflows/definitions/timeliness.yaml, or the authority's own file.
        "TIMELINESS_RULES": timeliness_rules,
        # The day the portal's records begin: nothing due before it counts (else the first day
        # of the earliest term any PEP is for; see portal/timeliness/facts.py).
        "TIMELINESS_SINCE": timeliness_since_from_environment(environ),
        # Where the PEP form definitions live; an authority may keep its own set.
        "FORMS_DIRECTORY": environ.get("OPENPEP_FORMS_DIRECTORY") or None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "SESSION_COOKIE_NAME": "openpep_session",
        # Sessions live on the server (portal/auth/sessions.py), which ends them after this
        # long without a request, and after this long in all, however busy.
        "SESSION_IDLE_MINUTES": idle_minutes,
        "SESSION_MAX_HOURS": max_hours,
        # The cookie (only a session id) need not outlive the session, nor be sent anew each time.
        "PERMANENT_SESSION_LIFETIME": int(max_hours * 60 * 60),
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # An import file may be larger than any form (GIAS's full extract is tens of MB).
        "IMPORT_MAX_BYTES": int(
            _positive_number(environ, "OPENPEP_IMPORT_MAX_MB", 100) * 1_000_000
        ),
        # Checking and committing imports happen in a background thread while the admin's
        # page shows progress; the CLI runs them in place.
        "IMPORTS_IN_BACKGROUND": True,
        **network_settings_from_environment(environ, environment),
        **email_settings_from_environment(environ, environment),
    }


def _positive_number(environ: Mapping[str, str], key: str, default: float) -> float:
    raw = environ.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if not (value > 0 and math.isfinite(value)):
        raise ConfigurationError(f"{key} must be a number greater than 0, not {raw!r}.")
    return value


def oidc_providers_from_environment(environ: Mapping[str, str]) -> tuple[OidcProviderSettings, ...]:
    """Read OPENPEP_OIDC_PROVIDERS=name,name and OPENPEP_OIDC_<NAME>_{ISSUER,CLIENT_ID,...}.

    OPENPEP_OIDC_PROVIDERS_JSON may instead hold a JSON list of objects with the same fields.
    """
    raw_json = environ.get("OPENPEP_OIDC_PROVIDERS_JSON")
    if raw_json:
        try:
            entries = json.loads(raw_json)
        except json.JSONDecodeError as error:
            raise ConfigurationError(f"OPENPEP_OIDC_PROVIDERS_JSON is not JSON: {error}") from None
        if not isinstance(entries, list):
            raise ConfigurationError("OPENPEP_OIDC_PROVIDERS_JSON must be a JSON list.")
        providers = tuple(
            _provider_from_mapping(entry, "OPENPEP_OIDC_PROVIDERS_JSON") for entry in entries
        )
        if len({p.name for p in providers}) != len(providers):
            raise ConfigurationError("OPENPEP_OIDC_PROVIDERS_JSON names a provider twice.")
        return providers

    names = [n.strip().lower() for n in environ.get("OPENPEP_OIDC_PROVIDERS", "").split(",")]
    providers = []
    for name in filter(None, names):
        prefix = f"OPENPEP_OIDC_{name.upper().replace('-', '_')}_"
        entry = {
            "name": name,
            "issuer": environ.get(prefix + "ISSUER", ""),
            "client_id": environ.get(prefix + "CLIENT_ID", ""),
            "client_secret": environ.get(prefix + "CLIENT_SECRET", ""),
        }
        for key in OPTIONAL_PROVIDER_KEYS:
            if prefix + key.upper() in environ:
                entry[key] = environ[prefix + key.upper()]
        providers.append(_provider_from_mapping(entry, prefix + "*"))
    names_seen = [p.name for p in providers]
    if len(set(names_seen)) != len(names_seen):
        raise ConfigurationError("OPENPEP_OIDC_PROVIDERS names a provider twice.")
    return tuple(providers)


def _provider_from_mapping(entry: object, where: str) -> OidcProviderSettings:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: each provider must be an object.")
    missing = [
        key for key in ("name", "issuer", "client_id", "client_secret") if not entry.get(key)
    ]
    if missing:
        raise ConfigurationError(f"{where}: the provider is missing {', '.join(missing)}.")
    name = str(entry["name"])
    if not PROVIDER_NAME.match(name):
        raise ConfigurationError(f"{where}: {name!r} is not a valid provider name.")
    issuer = str(entry["issuer"])
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ConfigurationError(f"{where}: the issuer of {name!r} must be an https URL.")

    def choice(key: str, allowed: tuple[str, ...], default: str) -> str:
        value = str(entry.get(key) or default).strip().lower()
        if value not in allowed:
            raise ConfigurationError(
                f"{where}: {key} of {name!r} must be one of {', '.join(allowed)}, not {value!r}."
            )
        return value

    def flag(key: str, default: bool) -> bool:
        value = entry.get(key)
        if isinstance(value, bool):
            return value
        word = str(value if value is not None else "").strip().lower()
        if not word:
            return default
        if word not in TRUE_WORDS + FALSE_WORDS:
            raise ConfigurationError(f"{where}: {key} of {name!r} must be true or false.")
        return word in TRUE_WORDS

    def words(key: str) -> tuple[str, ...]:
        value = entry.get(key) or ()
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigurationError(f"{where}: {key} of {name!r} must be a list of words.")
        return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))

    kind = ProviderKind(choice("kind", tuple(ProviderKind), ProviderKind.GENERIC))
    extra_scopes = words("extra_scopes")
    if not all(SCOPE_TOKEN.match(scope) for scope in extra_scopes):
        raise ConfigurationError(f"{where}: extra_scopes of {name!r} are not valid scope names.")
    allowed_tenants = tuple(t.lower() for t in words("allowed_tenants"))
    if allowed_tenants and kind is not ProviderKind.ENTRA:
        raise ConfigurationError(
            f"{where}: allowed_tenants apply only to Entra ID; set kind of {name!r} to entra."
        )
    if not all(TENANT_ID.match(tenant) for tenant in allowed_tenants):
        raise ConfigurationError(f"{where}: allowed_tenants of {name!r} must be tenant ids.")
    tenant_segment = urlsplit(issuer).path.strip("/").split("/")[0].lower()
    if (
        kind is ProviderKind.ENTRA
        and tenant_segment in ENTRA_MULTI_TENANT_SEGMENTS
        and not allowed_tenants
    ):
        raise ConfigurationError(
            f"{where}: {name!r} uses Entra's multi-tenant /{tenant_segment} issuer: list the "
            "tenant ids whose people may sign in in allowed_tenants."
        )
    allowed_domains = tuple(d.lower() for d in words("allowed_domains"))
    if not all(DOMAIN_NAME.match(domain) for domain in allowed_domains):
        raise ConfigurationError(f"{where}: allowed_domains of {name!r} must be domain names.")

    return OidcProviderSettings(
        name=name,
        label=str(entry.get("label") or name.title()),
        issuer=issuer,
        client_id=str(entry["client_id"]),
        client_secret=str(entry["client_secret"]),
        kind=kind,
        email_claim=choice("email_claim", ADDRESS_CLAIMS, "email"),
        trust_email=flag("trust_email", False),
        client_auth_method=ClientAuthMethod(
            choice("client_auth_method", tuple(ClientAuthMethod), "client_secret_basic")
        ),
        extra_scopes=extra_scopes,
        allowed_tenants=allowed_tenants,
        allowed_domains=allowed_domains,
        sign_out_at_provider=flag("sign_out_at_provider", True),
    )


def timeliness_rules_from_environment(environ: Mapping[str, str]) -> TimelinessRules:
    """The authority's timeliness rules (OPENPEP_TIMELINESS_RULES), checked at startup: a broken
    file stops the portal with a sentence naming the file and the rule."""
    from workflows.quality import DefinitionError
    from workflows.timeliness import rules_from_environment

    try:
        return rules_from_environment(environ)
    except DefinitionError as error:
        raise ConfigurationError(f"OPENPEP_TIMELINESS_RULES: {error}") from error


def timeliness_since_from_environment(environ: Mapping[str, str]) -> date | None:
    """OPENPEP_TIMELINESS_SINCE: the day the authority's PEP records in the portal begin."""
    from datetime import date

    value = environ.get("OPENPEP_TIMELINESS_SINCE", "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ConfigurationError(
            "OPENPEP_TIMELINESS_SINCE must be a date like 2026-09-01: the day the portal's "
            "PEP records begin."
        ) from error


def qa_settings_from_environment(environ: Mapping[str, str]) -> tuple[str, str]:
    """The authority's QA rating scale and the lowest rating that may be signed off."""
    from workflows.quality import load_scales

    scales = load_scales()
    scale_key = environ.get("OPENPEP_QA_SCALE", scales.default)
    if scale_key not in scales.scales:
        raise ConfigurationError(
            f"OPENPEP_QA_SCALE must be one of {', '.join(sorted(scales.scales))}, "
            f"not {scale_key!r}."
        )
    scale = scales[scale_key]
    threshold = environ.get("OPENPEP_QA_THRESHOLD", scale.default_threshold)
    if threshold not in scale.keys:
        raise ConfigurationError(
            f"OPENPEP_QA_THRESHOLD must be a rating on the {scale_key} scale "
            f"({', '.join(scale.keys)}), not {threshold!r}."
        )
    return scale_key, threshold


# Development mode answers only this computer, and only under its loopback names (a web page
# elsewhere cannot reach it through DNS rebinding).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
HOST_NAME = re.compile(r"^\.?(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")


def network_settings_from_environment(
    environ: Mapping[str, str], environment: str
) -> dict[str, Any]:
    """The host names the portal answers to (OPENPEP_ALLOWED_HOSTS, required in production)
    and how many reverse proxies stand in front of it (OPENPEP_PROXIES)."""
    hosts = tuple(
        dict.fromkeys(
            h.strip().lower() for h in environ.get("OPENPEP_ALLOWED_HOSTS", "").split(",")
        )
    )
    hosts = tuple(h for h in hosts if h)
    if not all(HOST_NAME.match(host) for host in hosts):
        raise ConfigurationError(
            "OPENPEP_ALLOWED_HOSTS must be host names separated by commas, for example "
            "pep.anytown.gov.uk (a leading dot allows every subdomain: .anytown.gov.uk)."
        )
    raw_proxies = environ.get("OPENPEP_PROXIES", "0").strip() or "0"
    if not raw_proxies.isdigit() or int(raw_proxies) > 5:
        raise ConfigurationError(
            "OPENPEP_PROXIES must be the number of reverse proxies in front of OpenPEP "
            f"(0 to 5), not {raw_proxies!r}."
        )
    proxies = int(raw_proxies)
    if environment == "development":
        if proxies:
            raise ConfigurationError(
                "Development mode serves only this computer, so it cannot stand behind a "
                "reverse proxy: set OPENPEP_ENV=production (with its own SECRET_KEY) instead."
            )
        hosts = hosts or LOOPBACK_HOSTS
    return {
        # Flask refuses (400) a request whose Host is not one of these; None accepts any (tests).
        "TRUSTED_HOSTS": list(hosts) or None,
        "OPENPEP_PROXIES": proxies,
    }


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server the portal hands its emails to."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # STARTTLS upgrades a plain connection (port 587); implicit TLS starts encrypted (465).
    starttls: bool = False
    tls: bool = False
    timeout_seconds: float = 30


LOOPBACK_SMTP_HOSTS = ("127.0.0.1", "localhost", "::1")
MAIL_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def email_settings_from_environment(environ: Mapping[str, str], environment: str) -> dict[str, Any]:
    """How the portal sends email (OPENPEP_SMTP_*, OPENPEP_MAIL_FROM) and the address its links
    start with (OPENPEP_BASE_URL). Without OPENPEP_SMTP_HOST, emails are still recorded (each
    person can read theirs in the portal) but marked as not sent, with the reason."""
    production = environment == "production"
    base_url = environ.get("OPENPEP_BASE_URL", "").strip().rstrip("/")
    if base_url:
        parts = urlsplit(base_url)
        secure_enough = parts.scheme == "https" or (
            parts.scheme == "http" and parts.hostname in LOOPBACK_SMTP_HOSTS and not production
        )
        if not parts.hostname or not secure_enough or parts.query or parts.fragment:
            raise ConfigurationError(
                "OPENPEP_BASE_URL must be the address people open the portal at, starting with "
                f"https://, for example https://pep.anytown.gov.uk, not {base_url!r}."
            )
    else:
        named_hosts = [
            h.strip().lower()
            for h in environ.get("OPENPEP_ALLOWED_HOSTS", "").split(",")
            if h.strip() and not h.strip().startswith(".")
        ]
        if named_hosts:
            base_url = f"https://{named_hosts[0]}"
        elif not production:
            base_url = f"http://127.0.0.1:{environ.get('OPENPEP_PORT', '5000').strip()}"

    host = environ.get("OPENPEP_SMTP_HOST", "").strip()
    if not host:
        for key in ("OPENPEP_SMTP_USERNAME", "OPENPEP_SMTP_PASSWORD", "OPENPEP_SMTP_PORT"):
            if environ.get(key, "").strip():
                raise ConfigurationError(
                    f"{key} is set but OPENPEP_SMTP_HOST is not: set OPENPEP_SMTP_HOST to your "
                    f"mail server, for example smtp.anytown.gov.uk, or remove {key}."
                )
        return {
            "SMTP": None,
            "MAIL_FROM": environ.get("OPENPEP_MAIL_FROM", "").strip() or None,
            "BASE_URL": base_url or None,
            "EMAIL_NOT_SET_UP_REASON": (
                "Email is not set up: OPENPEP_SMTP_HOST is not set, so emails are recorded "
                "in the portal but not sent."
            ),
        }

    if not HOST_NAME.match(host.lower()) and host not in LOOPBACK_SMTP_HOSTS:
        raise ConfigurationError(
            f"OPENPEP_SMTP_HOST must be a host name such as smtp.anytown.gov.uk, not {host!r}."
        )

    def flag(key: str) -> bool:
        word = environ.get(key, "").strip().lower()
        if not word:
            return False
        if word not in TRUE_WORDS + FALSE_WORDS:
            raise ConfigurationError(f"{key} must be true or false, not {word!r}.")
        return word in TRUE_WORDS

    starttls, tls = flag("OPENPEP_SMTP_STARTTLS"), flag("OPENPEP_SMTP_TLS")
    if starttls and tls:
        raise ConfigurationError(
            "Set only one of OPENPEP_SMTP_STARTTLS (port 587, usually) and OPENPEP_SMTP_TLS "
            "(port 465): the first upgrades a plain connection, the second starts encrypted."
        )
    raw_port = environ.get("OPENPEP_SMTP_PORT", "").strip()
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise ConfigurationError(
                f"OPENPEP_SMTP_PORT must be a port number from 1 to 65535, not {raw_port!r}."
            )
        port = int(raw_port)
    else:
        port = 465 if tls else 587 if starttls else 25
    username = environ.get("OPENPEP_SMTP_USERNAME", "").strip() or None
    password = environ.get("OPENPEP_SMTP_PASSWORD", "") or None
    if bool(username) != bool(password):
        raise ConfigurationError(
            "Set both OPENPEP_SMTP_USERNAME and OPENPEP_SMTP_PASSWORD, or neither."
        )
    loopback = host in LOOPBACK_SMTP_HOSTS
    if production and not (starttls or tls) and not loopback:
        raise ConfigurationError(
            f"Mail to {host} would travel unencrypted: set OPENPEP_SMTP_STARTTLS=true (port "
            "587) or OPENPEP_SMTP_TLS=true (port 465). Only a mail server on this computer "
            "(127.0.0.1) may be used without encryption."
        )
    mail_from = environ.get("OPENPEP_MAIL_FROM", "").strip()
    if not MAIL_ADDRESS.match(mail_from):
        raise ConfigurationError(
            "Set OPENPEP_MAIL_FROM to the address emails come from, for example "
            "virtual.school@anytown.gov.uk"
            + (f", not {mail_from!r}." if mail_from else ": it is needed to send email.")
        )
    if not base_url:
        raise ConfigurationError(
            "Set OPENPEP_BASE_URL to the address people open the portal at, for example "
            "https://pep.anytown.gov.uk: every email links to the portal."
        )
    return {
        "SMTP": SmtpSettings(
            host=host,
            port=port,
            username=username,
            password=password,
            starttls=starttls,
            tls=tls,
            timeout_seconds=_positive_number(environ, "OPENPEP_SMTP_TIMEOUT_SECONDS", 30),
        ),
        "MAIL_FROM": mail_from,
        "BASE_URL": base_url,
        "EMAIL_NOT_SET_UP_REASON": None,
    }
