import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.agencies.models import Agency
from casework.clock import utcnow
from casework.db import Base, CreatedAt, IntPK, Str200
from casework.permissions import Role

EMAIL_MAX = 254  # the longest address the standards allow


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Base):
    """A member of staff. Never deleted: deactivated, so the audit trail keeps its actor."""

    __tablename__ = "users"

    id: Mapped[IntPK]
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), unique=True)
    name: Mapped[Str200]
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    role: Mapped[Role]
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Flask-Login keeps this, not the primary key, in the session cookie; rotating it
    # ends every session of the user (sign-out, deactivation, password change).
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_session_token)
    created_at: Mapped[CreatedAt]
    last_signed_in_at: Mapped[datetime | None]
    # The TOTP second factor: the shared secret (base32), when it was set up, and the
    # last time step accepted, so a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enrolled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Only the demo partnership's accounts are exempt from the second factor; nothing
    # in the application sets this.
    mfa_exempt: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Set with a temporary password from an administrator: the user chooses a new one
    # before they can do anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    version: Mapped[int] = mapped_column(default=1)

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return self.session_token

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[CreatedAt]
    used_at: Mapped[datetime | None]


class BrowserSession(Base):
    """What the server keeps for one browser between requests; the browser holds only a
    random id for it in its cookie. The table stores a SHA-256 hash of that id, so a copy
    of the table (a backup) names no session anyone could take over."""

    __tablename__ = "browser_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # Whose session it is once they have signed in: ending a user's sessions deletes these.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    data: Mapped[str] = mapped_column(sa.Text)  # Flask's tagged JSON, as its cookie held it
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PasswordResetToken(Base):
    """A link sent to reset a forgotten password. Only a SHA-256 hash of its token is
    kept (the token has 256 random bits, so a fast hash is enough); it works once,
    until it expires, and a newer link for the same user voids it."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInFailure(Base):
    """A wrong password or security code, counted for throttling. Kept in the database
    so that every worker and server counts the same failures; only for as long as the
    longest throttling window."""

    __tablename__ = "sign_in_failures"

    id: Mapped[IntPK]
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # "sign_in" (a wrong password) or "code"
    # A SHA-256 hash of the address typed (never the address itself), or of the account
    # whose code was wrong.
    account: Mapped[str] = mapped_column(sa.String(64))
    client: Mapped[str] = mapped_column(sa.String(45))

    __table_args__ = (
        sa.Index("ix_sign_in_failures_kind_account_at", "kind", "account", "at"),
        sa.Index("ix_sign_in_failures_kind_client_at", "kind", "client", "at"),
    )
