"""Optional OpenID Connect sign-in (the authorization code flow with PKCE), configured by environment.

Off unless `BASTION_OIDC_ISSUER` is set. The identity provider only *authenticates*: the claim
`BASTION_OIDC_USERNAME_CLAIM` (default `preferred_username`) of a verified ID token names a user
who must already exist on this server, enabled; their role, nation and clearance are the
server's own (an administrator grants them), never taken from the provider. A name with no
account is refused. See docs/server.md ("Signing in with OpenID Connect").

The flow: `/login/oidc` reads the provider's metadata (`ISSUER/.well-known/openid-configuration`,
at sign-in time: nothing is fetched when the server starts), makes a random `state`, `nonce` and
PKCE verifier, keeps them in a short-lived `HttpOnly` cookie and sends the browser to the
provider. The callback checks `state` against the cookie, exchanges the code (client secret and
PKCE verifier) at the token endpoint, verifies the ID token's signature with the provider's JWKS
(joserfc, authlib's JOSE library) and its claims: `iss` the configured issuer, `aud` the client
id, not expired, and `nonce` the cookie's. authlib makes the authorization URL and the token
request.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ISSUER_ENV = "BASTION_OIDC_ISSUER"
CLIENT_ID_ENV = "BASTION_OIDC_CLIENT_ID"
CLIENT_SECRET_ENV = "BASTION_OIDC_CLIENT_SECRET"
REDIRECT_ENV = "BASTION_OIDC_REDIRECT_URL"
NAME_ENV = "BASTION_OIDC_NAME"
CLAIM_ENV = "BASTION_OIDC_USERNAME_CLAIM"
SCOPE_ENV = "BASTION_OIDC_SCOPE"
ALGORITHMS = ["RS256", "PS256", "ES256"]
"""Signatures accepted on an ID token (asymmetric only: never `none`, never a shared secret)."""
METADATA_TTL_S = 600.0
LEEWAY_S = 60
PENDING_TTL_S = 600
"""How long a started sign-in waits for the provider's answer (the cookie's lifetime)."""


class OidcConfigError(ValueError):
    """The environment configures OpenID Connect wrongly (the message names the variable)."""


class OidcFailed(Exception):
    """A sign-in that cannot complete: the message for the user, the HTTP status, the audit outcome."""

    def __init__(self, message: str, status: int = 401, outcome: str = "failure", who: str = "-") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.outcome = outcome
        self.who = who
        """The user name the provider gave, when it got that far (the audit record's object)."""


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str | None = None
    """The callback URL registered with the provider; None: this server's `/login/oidc/callback`."""
    name: str = "single sign-on"
    """Shown on the sign-in page: "Sign in with NAME"."""
    username_claim: str = "preferred_username"
    scope: str = "openid profile email"
    timeout_s: float = 10.0


def _local(host: str | None) -> bool:
    return host in ("localhost", "127.0.0.1", "::1")


def _url(value: str, variable: str) -> str:
    parts = urlsplit(value)
    if parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and _local(parts.hostname))):
        return value
    raise OidcConfigError(f"{variable}: an https:// address (http:// only on localhost), found {value!r}")


def oidc_from_env(env: Mapping[str, str] | None = None) -> OidcSettings | None:
    """The OpenID Connect settings of the environment; None when `BASTION_OIDC_ISSUER` is unset (off)."""
    env = os.environ if env is None else env
    issuer = env.get(ISSUER_ENV, "").strip()
    if not issuer:
        return None
    missing = [v for v in (CLIENT_ID_ENV, CLIENT_SECRET_ENV) if not env.get(v, "").strip()]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise OidcConfigError(f"{ISSUER_ENV} is set, but {' and '.join(missing)} {verb} not")
    redirect = env.get(REDIRECT_ENV, "").strip() or None
    return OidcSettings(
        issuer=_url(issuer, ISSUER_ENV).rstrip("/"),
        client_id=env[CLIENT_ID_ENV].strip(),
        client_secret=env[CLIENT_SECRET_ENV].strip(),
        redirect_url=_url(redirect, REDIRECT_ENV) if redirect else None,
        name=env.get(NAME_ENV, "").strip() or OidcSettings.name,
        username_claim=env.get(CLAIM_ENV, "").strip() or OidcSettings.username_claim,
        scope=env.get(SCOPE_ENV, "").strip() or OidcSettings.scope,
    )


@dataclass(frozen=True)
class Pending:
    """A started sign-in, kept in the browser's short-lived cookie until the provider answers."""

    state: str
    nonce: str
    verifier: str
    next: str

    def encode(self) -> str:
        raw = json.dumps([self.state, self.nonce, self.verifier, self.next], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii")

    @classmethod
    def decode(cls, value: str | None) -> Pending | None:
        if not value or len(value) > 4000:
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(value.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            return None
        if not (isinstance(fields, list) and len(fields) == 4 and all(isinstance(f, str) for f in fields)):
            return None
        return cls(*fields)


_metadata: dict[str, tuple[float, dict[str, Any]]] = {}


def _session(settings: OidcSettings, redirect_uri: str) -> Any:
    from authlib.integrations.requests_client import OAuth2Session  # type: ignore[import-untyped]

    return OAuth2Session(
        settings.client_id,
        settings.client_secret,
        scope=settings.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def _get_json(url: str, settings: OidcSettings, what: str) -> dict[str, Any]:
    import requests

    try:
        answer = requests.get(url, timeout=settings.timeout_s)
        answer.raise_for_status()
        found = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise OidcFailed(f"{settings.name} could not be reached ({what}): {error}", 502, "provider-error") from None
    if not isinstance(found, dict):
        raise OidcFailed(f"{settings.name} answered something other than a JSON object ({what})", 502, "provider-error")
    return found


def metadata(settings: OidcSettings) -> dict[str, Any]:
    """The provider's metadata (discovery), cached for 10 minutes; its issuer must be the configured one."""
    cached = _metadata.get(settings.issuer)
    if cached is not None and time.monotonic() - cached[0] < METADATA_TTL_S:
        return cached[1]
    found = _get_json(f"{settings.issuer}/.well-known/openid-configuration", settings, "its metadata")
    if str(found.get("issuer", "")).rstrip("/") != settings.issuer:
        raise OidcFailed(
            f"{settings.name}'s metadata names another issuer: {found.get('issuer')!r}", 502, "provider-error"
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(found.get(key), str):
            raise OidcFailed(f"{settings.name}'s metadata has no {key}", 502, "provider-error")
    _metadata[settings.issuer] = (time.monotonic(), found)
    return found


def start(settings: OidcSettings, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
    """The provider's authorization URL to send the browser to, and what to keep until it answers."""
    found = metadata(settings)
    pending = Pending(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48), next_path)
    url, _ = _session(settings, redirect_uri).create_authorization_url(
        found["authorization_endpoint"], state=pending.state, nonce=pending.nonce, code_verifier=pending.verifier
    )
    return str(url), pending


def finish(
    settings: OidcSettings, redirect_uri: str, pending: Pending | None, query: Mapping[str, str]
) -> dict[str, Any]:
    """The verified ID token's claims of the provider's answer `query` to the sign-in `pending`."""
    if pending is None:
        raise OidcFailed(
            "this sign-in was not started here, or took more than 10 minutes: sign in again", 400, "bad-state"
        )
    if not secrets.compare_digest(query.get("state", ""), pending.state):
        raise OidcFailed("the sign-in's state does not match the one started here: sign in again", 400, "bad-state")
    if "error" in query:
        said = query.get("error_description") or query["error"]
        raise OidcFailed(f"{settings.name} did not sign you in: {said[:200]}")
    code = query.get("code", "")
    if not code:
        raise OidcFailed(f"{settings.name} answered without a code: sign in again", 400, "bad-state")
    found = metadata(settings)
    id_token = _exchange(settings, redirect_uri, found, code, pending.verifier)
    return _verify(settings, found, id_token, pending.nonce)


def _exchange(settings: OidcSettings, redirect_uri: str, found: dict[str, Any], code: str, verifier: str) -> str:
    import requests
    from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]

    try:
        token = _session(settings, redirect_uri).fetch_token(
            found["token_endpoint"], code=code, code_verifier=verifier, timeout=settings.timeout_s
        )
    except (requests.RequestException, AuthlibBaseError, ValueError) as error:
        raise OidcFailed(f"{settings.name} refused the sign-in's code: {error}", 502, "provider-error") from None
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise OidcFailed(f"{settings.name} answered no ID token", 502, "provider-error")
    return id_token


def _verify(settings: OidcSettings, found: dict[str, Any], id_token: str, nonce: str) -> dict[str, Any]:
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        keys = KeySet.import_key_set(_get_json(found["jwks_uri"], settings, "its signing keys"))  # type: ignore[arg-type]
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        claims: dict[str, Any] = dict(token.claims)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_S,
            iss={"essential": True, "value": settings.issuer},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise OidcFailed(f"{settings.name}'s ID token did not verify: {error}") from None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != settings.client_id):
        raise OidcFailed(f"{settings.name}'s ID token is not for this server (audience {audience!r})")
    return claims
