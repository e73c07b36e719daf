"""Bearer-token authentication: who is calling, and for which agency.

HS256 only (a token signed with any other algorithm, `none` included, is refused), `exp` and
`sub` required, and the subject must be a user of the database; the user's agency is looked up
once per request (by `/graphql` in the request's own transaction, see `sign_in`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import async_sessionmaker

from core.errors import Forbidden, Unauthenticated
from db.tenancy import NotAMember, RequestDatabase, user_scope
from db.users import get_user

ALGORITHM = "HS256"
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    agency_id: uuid.UUID


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("missing Authorization header: send 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated("the bearer token is not a valid token")
    return token.strip()


@dataclass(frozen=True)
class TokenRules:
    """How bearer tokens are checked (from the settings)."""

    secret: str
    max_lifetime_seconds: int = 31 * 24 * 3600
    leeway_seconds: int = 30


def token_subject(token: str, rules: TokenRules) -> uuid.UUID:
    return _subject(verified_claims(token, rules))


def token_expiry(token: str, rules: TokenRules) -> datetime:
    """When the (verified) token stops being valid: live subscriptions end then."""
    return datetime.fromtimestamp(float(verified_claims(token, rules)["exp"]), UTC)


def verified_claims(token: str, rules: TokenRules) -> dict[str, Any]:
    try:
        # `aud` is not checked: issuers such as Supabase set one ("authenticated") and the
        # contract names none; the signature, `exp` and the user's existence decide.
        claims = jwt.decode(
            token,
            rules.secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"], "verify_aud": False},
            leeway=rules.leeway_seconds,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the bearer token has expired") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("the bearer token is not a valid token") from None
    _check_lifetime(claims, rules)
    return claims


def _subject(claims: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise Unauthenticated("the bearer token is not a valid token") from None


def _check_lifetime(claims: dict[str, Any], rules: TokenRules) -> None:
    """A token may not live longer than the maximum: counted from `iat` when it has one, else
    from now (a stolen token with a far `exp` stays useful only that long)."""
    expires = claims["exp"]
    issued = claims.get("iat", datetime.now(UTC).timestamp())
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise Unauthenticated("the bearer token is not a valid token")
    if expires - issued > rules.max_lifetime_seconds + rules.leeway_seconds:
        raise Unauthenticated(
            "the bearer token lives longer than the maximum of "
            f"{rules.max_lifetime_seconds} seconds; issue a shorter-lived token"
        )


class TokenVerifier:
    """Checks bearer tokens against the rules, remembering the subject and expiry of the tokens
    it recently found valid: a token's signature and claims are checked once (about a tenth of
    a small request's CPU), its expiry on every request. What passed once (signature, `nbf`,
    `iat`, lifetime) cannot fail later; only `exp` can."""

    def __init__(self, rules: TokenRules, remembered: int = 4096) -> None:
        self.rules = rules
        self._valid = lru_cache(maxsize=remembered)(self._verify)

    def _verify(self, token: str) -> tuple[uuid.UUID, float]:
        claims = verified_claims(token, self.rules)
        return _subject(claims), float(claims["exp"])

    def user(self, authorization: str | None) -> uuid.UUID:
        """The user a request's bearer token names, checked without touching the database."""
        subject, expires = self._valid(bearer_token(authorization))
        if time.time() > expires + self.rules.leeway_seconds:
            raise Unauthenticated("the bearer token has expired")
        return subject


async def authenticate(user_id: uuid.UUID, sessions: async_sessionmaker[Any]) -> Principal:
    """The caller, looked up in a short transaction of its own."""
    async with user_scope(sessions, user_id) as session:
        user = await get_user(session, user_id)
    return _principal(user)


async def sign_in(user_id: uuid.UUID, db: RequestDatabase) -> Principal:
    """The caller, looked up in the request's own transaction, which is then scoped to the
    caller's agency (one transaction and connection per request, not two)."""
    return _principal(await db.sign_in(user_id, get_user))


async def sign_in_as_member(
    user_id: uuid.UUID, agency_id: uuid.UUID, db: RequestDatabase
) -> Principal | None:
    """The caller, signed in to `agency_id` (the agency it had on its last request) by the
    request's first round trip: `db` (built with that agency and `confirm_member=True`)
    confirms the user still belongs to it as it opens the transaction. None when it does not
    (moved, removed): the caller then signs in afresh with `sign_in`."""
    try:
        await db.confirm_member()
    except NotAMember:
        await db.close()
        return None
    return Principal(user_id=user_id, agency_id=agency_id)


def _principal(user: Any) -> Principal:
    if user is None:
        raise Unauthenticated("the bearer token's user does not exist")
    if user.agency_id is None:
        raise Forbidden("this user belongs to no agency")
    return Principal(user_id=user.id, agency_id=user.agency_id)


def issue_token(user_id: uuid.UUID, secret: str, lifetime: timedelta = timedelta(days=30)) -> str:
    """A signed token for `user_id` (the demo user's printed token, tests, scripts)."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
