"""Start and stop the development OpenID Connect provider (devtools/oidc/server.mjs).

Used by the test suite to sign in through a real OIDC provider over loopback::

    with running_oidc_provider() as oidc:
        ...  # oidc.issuer, oidc.client_id, oidc.client_secret

The provider accepts any email address with any non-empty password; the portal
decides who is allowed in. It exits by itself when this process goes away
(it watches its stdin, which only we hold open).

``config`` makes an instance behave like a real provider configured one particular way (claims
per account, signing algorithm, client authentication method, clock skew, an issuer with a path,
claims only in userinfo, an Entra-like tenant issuer): see the keys at the top of
devtools/oidc/server.mjs. :func:`start_oidc_providers` starts several at once::

    providers = start_oidc_providers({"entra": {"claims": {"email_verified": None}}, ...})
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = REPO_ROOT / "devtools" / "oidc" / "server.mjs"
READY_PREFIX = "oidc-provider ready "

DEFAULT_CLIENT_ID = "openpep-demo"
DEFAULT_CLIENT_SECRET = "openpep-demo-secret"  # noqa: S105 - public demo credential


@dataclass(frozen=True)
class OidcProvider:
    """A running provider process and the details a client needs to use it."""

    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[bytes]
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _drain(stream: IO[bytes], lines: deque[str], ready: threading.Event) -> None:
    """Read a child pipe to the end so it never fills up and blocks the child."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        lines.append(line)
        if line.startswith(READY_PREFIX):
            ready.set()


@dataclass
class _Launch:
    """A provider process that has been started but may not be ready yet."""

    provider: OidcProvider
    output: deque[str]
    ready: threading.Event
    drain: threading.Thread


def _launch(
    port: int | None, client_id: str, client_secret: str, config: Mapping[str, Any] | None
) -> _Launch:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js ('node') is not on PATH; it is needed for the OIDC provider.")
    if not (REPO_ROOT / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(
            f"node_modules/oidc-provider is missing; run `npm ci` in {REPO_ROOT} first."
        )
    port = port or free_loopback_port()
    config = dict(config or {})
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_ISSUER": f"http://127.0.0.1:{port}{config.get('issuer_path', '')}",
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": client_secret,
        "OIDC_EXIT_ON_STDIN_CLOSE": "1",
    }
    if config:
        env["OIDC_CONFIG"] = json.dumps(config)
    else:
        env.pop("OIDC_CONFIG", None)
    process = subprocess.Popen(
        [node, str(SERVER_SCRIPT)],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output: deque[str] = deque(maxlen=200)
    ready = threading.Event()
    assert process.stdout is not None
    drain = threading.Thread(
        target=_drain,
        args=(process.stdout, output, ready),
        name="oidc-provider-output",
        daemon=True,
    )
    drain.start()
    provider = OidcProvider(
        issuer=env["OIDC_ISSUER"],
        client_id=client_id,
        client_secret=client_secret,
        process=process,
        config=config,
    )
    return _Launch(provider, output, ready, drain)


def _wait_until_ready(launch: _Launch, deadline: float, startup_timeout: float) -> None:
    process = launch.provider.process
    while not launch.ready.wait(0.05):
        if process.poll() is not None or time.monotonic() > deadline:
            problem = (
                f"exited with code {process.returncode}"
                if process.returncode is not None
                else f"was not ready after {startup_timeout:.0f}s"
            )
            _terminate(process)
            launch.drain.join(timeout=2)  # collect the last of its output
            captured = "\n".join(launch.output) or "(no output)"
            hint = "" if "Cannot find package" not in captured else "\nHint: run `npm ci`."
            raise RuntimeError(f"OIDC provider {problem}. Output:\n{captured}{hint}")


def start_oidc_provider(
    port: int | None = None,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    startup_timeout: float = 20.0,
    *,
    config: Mapping[str, Any] | None = None,
) -> OidcProvider:
    """Start the provider on 127.0.0.1 and wait until it is ready.

    Call :func:`stop_oidc_provider` when done (or use :func:`running_oidc_provider`).
    """
    launch = _launch(port, client_id, client_secret, config)
    _wait_until_ready(launch, time.monotonic() + startup_timeout, startup_timeout)
    return launch.provider


def start_oidc_providers(
    configs: Mapping[str, Mapping[str, Any]],
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    startup_timeout: float = 20.0,
) -> dict[str, OidcProvider]:
    """Start one provider per named config, side by side (one process each), and wait for all."""
    launches: dict[str, _Launch] = {}
    try:
        for name, config in configs.items():
            launches[name] = _launch(None, client_id, client_secret, config)
        deadline = time.monotonic() + startup_timeout
        for launch in launches.values():
            _wait_until_ready(launch, deadline, startup_timeout)
    except BaseException:
        for launch in launches.values():
            _terminate(launch.provider.process)
        raise
    return {name: launch.provider for name, launch in launches.items()}


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def stop_oidc_provider(provider: OidcProvider) -> None:
    """Stop a provider started with :func:`start_oidc_provider` (safe to call twice)."""
    _terminate(provider.process)


@contextmanager
def running_oidc_provider(
    port: int | None = None,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    startup_timeout: float = 20.0,
    *,
    config: Mapping[str, Any] | None = None,
) -> Iterator[OidcProvider]:
    """Run the provider for the duration of a ``with`` block."""
    provider = start_oidc_provider(port, client_id, client_secret, startup_timeout, config=config)
    try:
        yield provider
    finally:
        stop_oidc_provider(provider)


@contextmanager
def running_oidc_providers(
    configs: Mapping[str, Mapping[str, Any]],
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
) -> Iterator[dict[str, OidcProvider]]:
    """Run one provider per named config for the duration of a ``with`` block."""
    providers = start_oidc_providers(configs, client_id, client_secret)
    try:
        yield providers
    finally:
        for provider in providers.values():
            stop_oidc_provider(provider)
