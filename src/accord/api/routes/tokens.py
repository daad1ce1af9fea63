"""API tokens over the API: list, create, revoke. Administrators only (the ``admin`` role
with the ``admin`` scope); each change is audited with the acting token's id."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field, field_validator

from accord.api.deps import MAX_ID, Admin, SessionDep
from accord.api.responses import documented
from accord.api.tokens import (
    LIFETIME_PATTERN,
    NAME_LENGTH,
    NAME_PATTERN,
    Access,
    Scope,
    TokenNameTaken,
    checked_scopes,
    create_token,
    list_tokens,
    parse_lifetime,
    revoke,
    scopes_of,
    state_of,
    token_id_of,
)
from accord.engine.audit import audit
from accord.store.models import ApiToken, utcnow

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


class TokenView(BaseModel):
    id: int
    name: str
    role: Access
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    state: str
    """``active``, ``expired`` or ``revoked``."""


class _TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=NAME_LENGTH, pattern=NAME_PATTERN,
                      description="who or what the token is for (unique, printable)")
    expires_in: str = Field(default="90d", pattern=LIFETIME_PATTERN,
                            description="30m, 12h, 90d, 2w (at most 3650d), or never")

    @field_validator("expires_in")
    @classmethod
    def _lifetime(cls, value: str) -> str:
        parse_lifetime(value)
        return value


class ViewerTokenRequest(_TokenRequest):
    role: Literal[Access.VIEWER]
    scopes: list[Literal[Scope.READ]] | None = Field(
        default=None, description="default: every scope the role allows")


class OperatorTokenRequest(_TokenRequest):
    role: Literal[Access.OPERATOR]
    scopes: list[Literal[Scope.READ, Scope.EXCEPTIONS, Scope.REPLAY]] | None = Field(
        default=None, description="default: every scope the role allows")


class AdminTokenRequest(_TokenRequest):
    role: Literal[Access.ADMIN]
    scopes: list[Scope] | None = Field(
        default=None, description="default: every scope the role allows")


TokenRequest = Annotated[ViewerTokenRequest | OperatorTokenRequest | AdminTokenRequest,
                         Field(discriminator="role")]
"""A new token: its scopes are those its role may hold (a viewer only reads)."""


class TokenCreated(TokenView):
    token: str
    """The token itself: shown this once, stored only as a digest."""


def _view(row: ApiToken, now: datetime) -> TokenView:
    return TokenView(id=row.id, name=row.name, role=Access(row.role),
                     scopes=sorted(scopes_of(row)), created_at=row.created_at,
                     last_used_at=row.last_used_at, expires_at=row.expires_at,
                     state=state_of(row, now))


@router.get("")
def list_(session: SessionDep, _who: Admin) -> list[TokenView]:
    """Every token: id, name, role, scopes, last use, expiry and state (never the token)."""
    now = utcnow()
    return [_view(row, now) for row in list_tokens(session)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=documented(409))
def create(body: TokenRequest, session: SessionDep, who: Admin) -> TokenCreated:
    """Create a token; the answer holds it once. A taken name is 409."""
    lifetime = parse_lifetime(body.expires_in)
    scopes = None if body.scopes is None else [Scope(scope) for scope in body.scopes]
    now = utcnow()
    expires = now + lifetime if lifetime is not None else None
    granted = checked_scopes(body.role, scopes)
    try:
        token = create_token(session, body.name, body.role, expires_at=expires,
                             scopes=granted)
    except TokenNameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    token_id = token_id_of(session, token)
    assert token_id is not None
    audit(session, actor=who.name, action="token.create", target_type="token",
          target_id=str(token_id), token_id=who.token_id,
          detail={"name": body.name, "role": body.role.value,
                  "scopes": sorted(scope.value for scope in granted),
                  "expires_at": str(expires)})
    return TokenCreated(id=token_id, name=body.name, role=body.role, scopes=sorted(granted),
                        created_at=now, last_used_at=None, expires_at=expires,
                        state="active", token=token)


@router.post("/{token_id}/revoke", responses=documented(404))
def revoke_(token_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep,
            who: Admin) -> TokenView:
    """Revoke a token at once (its console sessions end with it)."""
    if not revoke(session, token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"token_id: no active token {token_id}")
    audit(session, actor=who.name, action="token.revoke", target_type="token",
          target_id=str(token_id), token_id=who.token_id)
    row = session.get(ApiToken, token_id)
    assert row is not None
    return _view(row, utcnow())


__all__ = ["AdminTokenRequest", "OperatorTokenRequest", "TokenCreated", "TokenRequest",
           "TokenView", "ViewerTokenRequest", "router"]
