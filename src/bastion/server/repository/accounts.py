"""Users, their tokens (bearer tokens, browser sessions, script tokens) and failed logins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from bastion.server.audit import BATCH_KEY
from bastion.server.repository.visibility import Caller
from bastion.server.security import token_digest
from bastion.store.server_tables import ApiToken, LoginFailure, User

USE_NOTED_EVERY_S = 60
"""A token's `last_used_at` is written when it is older than this (not on every request)."""

_BY_TOKEN = (
    select(User, ApiToken)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked.is_(False), User.disabled.is_(False))
)


_CALLER_BY_TOKEN = (
    select(User.name, User.role, User.nation, User.clearance)
    .add_columns(ApiToken.token_hash, ApiToken.expires_at, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked.is_(False), User.disabled.is_(False))
)
_NOTE_USE = (
    update(ApiToken)
    .where(ApiToken.token_hash == bindparam("digest"))
    .values(last_used_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


class Users:
    """Users, tokens and failed logins."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_name(self, name: str) -> User | None:
        return self.session.execute(select(User).where(User.name == name)).scalar_one_or_none()

    def all(self) -> Sequence[User]:
        return self.session.execute(select(User).order_by(User.name)).scalars().all()

    def count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(User)).scalar_one())

    def add(self, name: str, role: str, nation: str, clearance: str, password_hash: str) -> User:
        user = User(
            name=name,
            role=role,
            nation=nation,
            clearance=clearance,
            disabled=False,
            password_hash=password_hash,
            created_at=datetime.now(UTC),
        )
        self.session.add(user)
        self.session.flush()
        return user

    def issue_token(self, user: User, token: str, ttl_s: int, kind: str = "login", name: str | None = None) -> ApiToken:
        now = datetime.now(UTC)
        row = ApiToken(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
            revoked=False,
            kind=kind,
            name=name,
        )
        self.session.add(row)
        return row

    def by_token(self, token: str) -> User | None:
        """The enabled user holding an unexpired, unrevoked `token` (its last use noted, to the minute)."""
        row = self.session.execute(_BY_TOKEN, {"digest": token_digest(token)}).one_or_none()
        now = datetime.now(UTC)
        if row is None or row[1].expires_at <= now:
            return None
        if row[1].last_used_at is None or row[1].last_used_at <= now - timedelta(seconds=USE_NOTED_EVERY_S):
            if BATCH_KEY in self.session.info:  # a reading session writes nothing itself (db.py)
                self._note_use_apart(row[1].token_hash, now)
            else:
                row[1].last_used_at = now
        return row[0]

    def caller_by_token(self, token: str) -> Caller | None:
        """As `by_token`, the user as a `Caller`, read as one row of columns (no ORM object): what
        every authenticated request asks first."""
        row = self.session.connection().execute(_CALLER_BY_TOKEN, {"digest": token_digest(token)}).first()
        now = datetime.now(UTC)
        if row is None or row.expires_at <= now:
            return None
        if row.last_used_at is None or row.last_used_at <= now - timedelta(seconds=USE_NOTED_EVERY_S):
            if BATCH_KEY in self.session.info:  # a reading session writes nothing itself (db.py)
                self._note_use_apart(row.token_hash, now)
            else:
                self.session.execute(_NOTE_USE, {"digest": row.token_hash, "now": now})
        return Caller(row.name, row.role, row.nation, row.clearance)

    def _note_use_apart(self, token_hash: str, now: datetime) -> None:
        """A token's last use, from a reading request: its own short transaction on a connection of
        its own (WAL lets it commit beside the readers), at most once a minute per token."""
        engine = self.session.get_bind().engine
        with engine.begin() as connection:
            connection.execute(update(ApiToken).where(ApiToken.token_hash == token_hash).values(last_used_at=now))

    def active_tokens(self, user: User) -> Sequence[ApiToken]:
        """The user's unrevoked, unexpired tokens (every kind), newest first."""
        return (
            self.session.execute(
                select(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                .where(ApiToken.expires_at > datetime.now(UTC))
                .order_by(ApiToken.created_at.desc(), ApiToken.token_hash)
            )
            .scalars()
            .all()
        )

    def revoke_tokens(self, user: User) -> None:
        """Revoke every token of `user`: bearer tokens and browser sessions alike."""
        for token in self.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalars():
            token.revoked = True

    def revoke_token(self, token: str) -> None:
        """Revoke one token (logging a browser session out); kept, like every token, for the record."""
        self.session.execute(update(ApiToken).where(ApiToken.token_hash == token_digest(token)).values(revoked=True))

    def recent_failures(self, username: str, address: str, window_s: int) -> tuple[int, int]:
        """Failed logins within the window: (for this user name, from this address)."""
        since = datetime.now(UTC) - timedelta(seconds=window_s)
        recent = LoginFailure.at >= since
        by_user = self.session.execute(
            select(func.count()).where(recent, LoginFailure.username == username)
        ).scalar_one()
        by_address = self.session.execute(
            select(func.count()).where(recent, LoginFailure.address == address)
        ).scalar_one()
        return int(by_user), int(by_address)

    def add_failure(self, username: str, address: str) -> None:
        self.session.add(LoginFailure(username=username[:200], address=address[:100], at=datetime.now(UTC)))

    def forget_failures(self, window_s: int) -> None:
        """Drop failures older than the window (they no longer count)."""
        since = datetime.now(UTC) - timedelta(seconds=window_s)
        self.session.execute(delete(LoginFailure).where(LoginFailure.at < since))
