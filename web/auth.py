"""Bearer-token authentication: who is calling, and for which agency.

HS256 only (a token signed with any other algorithm, `none` included, is refused), `exp` and
`sub` required, and the subject must be a user of the database; the user's agency is looked up
once per request (by `/graphql` in the request's own transaction, see `sign_in`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import async_sessionmaker

from core.errors import Forbidden, Unauthenticated
from db.tenancy import RequestDatabase, user_scope
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


def token_subject(token: str, secret: str) -> uuid.UUID:
    return _subject(verified_claims(token, secret))


def token_expiry(token: str, secret: str) -> datetime:
    """When the (verified) token stops being valid: live subscriptions end then."""
    return datetime.fromtimestamp(float(verified_claims(token, secret)["exp"]), UTC)


def verified_claims(token: str, secret: str) -> dict[str, Any]:
    try:
        # `aud` is not checked: issuers such as Supabase set one ("authenticated") and the
        # contract names none; the signature, `exp` and the user's existence decide.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the bearer token has expired") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("the bearer token is not a valid token") from None
    return claims


def _subject(claims: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise Unauthenticated("the bearer token is not a valid token") from None


async def authenticate(
    authorization: str | None, secret: str, sessions: async_sessionmaker[Any]
) -> Principal:
    """The caller, looked up in a short transaction of its own."""
    user_id = token_subject(bearer_token(authorization), secret)
    async with user_scope(sessions, user_id) as session:
        user = await get_user(session, user_id)
    return _principal(user)


async def sign_in(authorization: str | None, secret: str, db: RequestDatabase) -> Principal:
    """The caller, looked up in the request's own transaction, which is then scoped to the
    caller's agency (one transaction and connection per request, not two)."""
    user_id = token_subject(bearer_token(authorization), secret)
    return _principal(await db.sign_in(user_id, get_user))


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
