from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user
from flask_limiter import RateLimitExceeded
from werkzeug.wrappers import Response

from casework import db
from casework.exceptions import InvalidInput
from casework.extensions import limiter, sign_in_key
from casework.forms.auth import ChangePasswordForm, SignInForm
from casework.services import users
from casework.views import actor, show_error
from casework.web import start_session

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so the sign-in page cannot send people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


def _failed_sign_in(response: Response) -> bool:
    return response.status_code != 302


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], key_func=sign_in_key, methods=["POST"], deduct_when=_failed_sign_in)
# Failures only, for the client's address too: staff of one office often share an
# address, and a busy morning of sign-ins must not lock them all out.
@limiter.limit(lambda: current_app.config["SIGN_IN_IP_RATE_LIMIT"], methods=["POST"], deduct_when=_failed_sign_in)
def sign_in() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        db.session.commit()  # the audit of a failure is kept too
        if user is not None:
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        form.email.errors.append(SIGN_IN_FAILED)
        form._errors = None
        return render_template("auth/sign_in.html", form=form), 200
    return render_template("auth/sign_in.html", form=form)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error: RateLimitExceeded) -> tuple[str, int]:
    form = SignInForm()
    form.email.errors = ["Too many failed attempts to sign in. Wait 5 minutes and try again."]
    return render_template("auth/sign_in.html", form=form), 429


@bp.post("/sign-out")
def sign_out() -> Response:
    users.sign_out(actor())
    db.session.commit()
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Response | str:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = users.change_password(
                actor(), current=form.current_password.data, new=form.password.data
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            start_session(user)  # the token rotated: other sessions of this user have ended
            flash("Your password has been changed. Any other sessions have been signed out.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
