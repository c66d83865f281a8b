import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.agencies.models import Agency
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
