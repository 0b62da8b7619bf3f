"""Local identity: a dev signing key, Cognito-shaped ID tokens, and their verification.

Local use only (never deployed): ``houqin token`` mints tokens, the gateway verifies them
like API Gateway's Cognito authorizer (signature against the pool's keys, expiry, issuer,
audience = one of the pool's app clients, token_use = id).
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from localcloud.clock import real_epoch_ms
from localcloud.template import Template, TemplateError

DEFAULT_KEY_FILE = Path(".houqin/dev-signing-key.pem")
TOKEN_HOURS = 12
CLOCK_SKEW_S = 300  # an iat this far ahead of the gateway's clock is still accepted


class TokenError(Exception):
    """A token the authorizer refuses; the message says why (for logs, not for the caller)."""


@dataclass(frozen=True)
class DevKey:
    private_key: rsa.RSAPrivateKey

    @classmethod
    def load_or_create(cls, path: Path = DEFAULT_KEY_FILE) -> DevKey:
        """The dev key shared by `houqin token` and the gateway; made on first use (gitignored)."""
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            return cls(key)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        temp.chmod(0o600)
        try:
            os.link(temp, path)  # atomic: of two processes making the key at once, both end up using one
        except FileExistsError:
            return cls.load_or_create(path)
        finally:
            temp.unlink(missing_ok=True)
        return cls(key)

    @property
    def kid(self) -> str:
        public = self.private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.urlsafe_b64encode(hashlib.sha256(public).digest()[:12]).decode().rstrip("=")

    def jwks(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
                          "n": _b64int(numbers.n), "e": _b64int(numbers.e)}]}


@dataclass(frozen=True)
class UserPoolIssuer:
    """Mints and verifies the ID tokens of one user pool of the template."""

    key: DevKey
    issuer: str
    audiences: tuple[str, ...]

    @classmethod
    def for_template(cls, template: Template, key: DevKey, user_pool: str | None = None) -> UserPoolIssuer:
        pools = list(template.of_type("AWS::Cognito::UserPool"))
        pool = user_pool or (pools[0] if len(pools) == 1 else None)
        if pool is None:
            raise TemplateError(f"name the user pool: the template has {len(pools)} ({', '.join(pools)})")
        audiences = tuple(template.user_pool_clients(pool))
        if not audiences:
            raise TemplateError(f"user pool {pool} has no UserPoolClient: tokens would have no audience")
        return cls(key, template.issuer(pool), audiences)

    def mint(self, *, person_id: str, roles: list[str], name: str = "", child_ids: list[str] | None = None,
             hours: float = TOKEN_HOURS, now: float | None = None) -> str:
        issued = int(now if now is not None else real_epoch_ms() / 1000)
        subject = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/{person_id}"))
        claims: dict[str, Any] = {
            "sub": subject,
            "iss": self.issuer,
            "aud": self.audiences[0],
            "token_use": "id",
            "auth_time": issued,
            "iat": issued,
            "exp": issued + int(hours * 3600),
            "cognito:username": person_id,
            "cognito:groups": list(roles),
            "custom:person_id": person_id,
            "name": name or person_id,
            "email": f"{person_id.lower()}@houqin.local",
            "email_verified": True,
        }
        if child_ids:
            claims["custom:child_ids"] = ",".join(child_ids)
        return jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})

    def verify(self, token: str, now: float | None = None) -> dict[str, Any]:
        """The claims of a valid ID token of this pool at ``now`` (epoch seconds; the real time by default)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError(f"not a JWT: {exc}") from None
        if header.get("kid") != self.key.kid:
            raise TokenError("signed by an unknown key")
        try:
            claims = jwt.decode(token, self.key.private_key.public_key(), algorithms=["RS256"],
                                audience=list(self.audiences), issuer=self.issuer,
                                options={"require": ["exp", "iss", "aud", "sub"], "verify_exp": False,
                                         "verify_iat": False})  # checked below, on the given clock
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from None
        moment = real_epoch_ms() / 1000 if now is None else now
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= moment:
            raise TokenError("Signature has expired")
        if isinstance(claims.get("iat"), int | float) and claims["iat"] > moment + CLOCK_SKEW_S:
            raise TokenError("The token is not yet valid (iat)")
        if claims.get("token_use") != "id":
            raise TokenError("not an ID token")
        return claims


def api_gateway_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway (REST) hands them to the function: every value a string."""
    out = {}
    for name, value in claims.items():
        if isinstance(value, list):
            out[name] = ",".join(str(v) for v in value)
        elif name in ("exp", "iat", "auth_time"):
            out[name] = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        elif isinstance(value, bool):
            out[name] = str(value).lower()
        else:
            out[name] = str(value)
    return out


def _b64int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")

