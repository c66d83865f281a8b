"""Flask extensions, created unbound and initialised in create_app."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

# No default limits: only the sign-in form is limited, where it matters.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def sign_in_key() -> str:
    """Failed sign-ins are counted per e-mail address and client, so one user cannot be
    locked out by someone else's guesses from elsewhere."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{email}|{get_remote_address()}"
