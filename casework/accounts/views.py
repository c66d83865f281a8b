from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from casework import db
from casework.accounts.forms import (
    ChangePasswordForm,
    RegenerateRecoveryCodesForm,
    SignInForm,
    TwoFactorForm,
    TwoFactorSetupForm,
)
from casework.accounts.models import User
from casework.accounts.services import two_factor as two_factor_service
from casework.accounts.services import users
from casework.clock import timestamp
from casework.exceptions import InvalidInput
from casework.extensions import limiter, sign_in_key
from casework.ui.forms import show_error
from casework.web import actor, local_path, start_session

bp = Blueprint("auth", __name__, template_folder="templates")

SIGN_IN_FAILED = "Enter a correct email address and password"
CODE_WRONG = "Enter the security code your authenticator app shows now, or an unused recovery code"
CODE_THROTTLED = "Too many wrong security codes. Wait 5 minutes and try again."

# What a half-finished sign-in keeps in the session: no signed-in user, only who
# gave a correct password, when, and where they were going.
PENDING_USER = "pending_user_id"
PENDING_MARKER = "pending_marker"
PENDING_SINCE = "pending_since"
PENDING_NEXT = "pending_next"
PENDING_SECONDS = 5 * 60
SETUP_KEY = "totp_setup"  # the new TOTP key, until a code confirms it
NEW_RECOVERY_CODES = "new_recovery_codes"
AFTER_RECOVERY_CODES = "after_recovery_codes"


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("main.home")


def _failed_sign_in(response: Response) -> bool:
    return response.status_code != 302


def _two_factor_limit() -> str:
    return str(current_app.config["TWO_FACTOR_RATE_LIMIT"])


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_RATE_LIMIT"],
    key_func=sign_in_key,
    methods=["POST"],
    deduct_when=_failed_sign_in,
)
# Failures only, for the client's address too: staff of one office often share an
# address, and a busy morning of sign-ins must not lock them all out.
@limiter.limit(lambda: current_app.config["SIGN_IN_IP_RATE_LIMIT"], methods=["POST"], deduct_when=_failed_sign_in)
def sign_in() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        accepted = users.authenticate(
            form.email.data or "",
            form.password.data or "",
            require_mfa_for_all=current_app.config["REQUIRE_MFA_FOR_ALL"],
        )
        db.session.commit()  # the audit of a failure is kept too
        if accepted is None:
            show_error(form, InvalidInput(SIGN_IN_FAILED, field="email"))
            return render_template("auth/sign_in.html", form=form), 200
        next_page = _safe_next(request.args.get("next"))
        if accepted.second_factor == "none":
            start_session(accepted.user)
            return redirect(next_page)
        # The password is right, and nothing more: not signed in yet.
        session.clear()
        session[PENDING_USER] = accepted.user.id
        session[PENDING_MARKER] = users.pending_marker(accepted.user)
        session[PENDING_SINCE] = timestamp()
        session[PENDING_NEXT] = next_page
        return redirect(url_for("auth.two_factor" if accepted.second_factor == "verify" else "auth.two_factor_setup"))
    return render_template("auth/sign_in.html", form=form)


def _pending_user() -> User | None:
    """The user half-way through signing in, if their password step is recent enough
    and still stands."""
    if timestamp() - session.get(PENDING_SINCE, 0) > PENDING_SECONDS:
        return None
    return users.load_pending(session.get(PENDING_USER), session.get(PENDING_MARKER))


def _back_to_sign_in() -> Response:
    expired = PENDING_USER in session
    for key in (PENDING_USER, PENDING_MARKER, PENDING_SINCE, PENDING_NEXT, SETUP_KEY):
        session.pop(key, None)
    if expired:
        flash("You took too long to enter the security code. Sign in again to continue.", "info")
    return redirect(url_for("auth.sign_in"))


def _two_factor_key() -> str:
    """Wrong codes are counted per account: whoever sends them already has its password."""
    return f"two-factor|{session.get(PENDING_USER)}"


def _finish(user: User) -> Response:
    next_page = session.get(PENDING_NEXT) or url_for("main.home")
    start_session(user)
    return redirect(_safe_next(next_page))


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@limiter.limit(_two_factor_limit, key_func=_two_factor_key, methods=["POST"], deduct_when=_failed_sign_in)
def two_factor() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        return _back_to_sign_in()
    if user.totp_enrolled_at is None:
        return redirect(url_for("auth.two_factor_setup"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        method = two_factor_service.verify(user, form.code.data or "")
        db.session.commit()  # a failure's audit is kept too
        if method is not None:
            remaining = two_factor_service.unused_recovery_codes(user) if method == "recovery_code" else None
            response = _finish(user)
            if remaining is not None:
                flash(
                    f"You used a recovery code. You have {remaining} left: make a new set from your account if you are running out.",
                    "info",
                )
            return response
        show_error(form, InvalidInput(CODE_WRONG, field="code"))
        return render_template("auth/two_factor.html", form=form), 200
    return render_template("auth/two_factor.html", form=form)


@bp.route("/sign-in/two-factor/setup", methods=["GET", "POST"])
@limiter.limit(_two_factor_limit, key_func=_two_factor_key, methods=["POST"], deduct_when=_failed_sign_in)
def two_factor_setup() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        return _back_to_sign_in()
    if user.totp_enrolled_at is not None:
        return redirect(url_for("auth.two_factor"))
    # The secret waits in the (signed) session until the user proves their app has it;
    # only then is it stored, so showing this page writes nothing.
    secret = session.get(SETUP_KEY) or two_factor_service.new_secret()
    session[SETUP_KEY] = secret
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        codes = two_factor_service.enrol(user, secret, form.code.data or "")
        db.session.commit()
        if codes is not None:
            next_page = session.get(PENDING_NEXT) or url_for("main.home")
            start_session(user)
            session[NEW_RECOVERY_CODES] = codes
            session[AFTER_RECOVERY_CODES] = _safe_next(next_page)
            return redirect(url_for("auth.recovery_codes"))
        show_error(form, InvalidInput(CODE_WRONG, field="code"))
    uri = two_factor_service.provisioning_uri(user, secret, issuer=current_app.config["TOTP_ISSUER"])
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr_code=two_factor_service.qr_code(uri),
        secret=two_factor_service.grouped(secret),
    )


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error: RateLimitExceeded) -> tuple[str, int] | Response:
    if request.endpoint in ("auth.two_factor", "auth.two_factor_setup"):
        user = _pending_user()
        if user is None:
            return _back_to_sign_in()
        two_factor_service.record_throttled(user)
        db.session.commit()
        form = TwoFactorForm()
        form.code.errors = [CODE_THROTTLED]
        return render_template("auth/two_factor.html", form=form), 429
    users.record_throttled_sign_in(request.form.get("email", ""))
    db.session.commit()
    form = SignInForm()
    form.email.errors = ["Too many failed attempts to sign in. Wait 5 minutes and try again."]
    return render_template("auth/sign_in.html", form=form), 429


@bp.post("/sign-out")
def sign_out() -> Response:
    users.sign_out(actor())
    db.session.commit()
    logout_user()
    session.clear()  # saved searches and access reasons go with the sign-in
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Response | str:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = users.change_password(
                actor(), current=form.current_password.data or "", new=form.password.data or ""
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            start_session(user)  # the token rotated: other sessions of this user have ended
            flash("Your password has been changed. Any other sessions have been signed out.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
def recovery_codes() -> Response | str:
    # Shown once: taken out of the session as the page is drawn.
    codes = session.pop(NEW_RECOVERY_CODES, None)
    continue_to = session.pop(AFTER_RECOVERY_CODES, None) or url_for("main.home")
    form = RegenerateRecoveryCodesForm()
    if codes is None and form.validate_on_submit():
        try:
            new_codes = two_factor_service.regenerate_recovery_codes(actor(), password=form.password.data or "")
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            session[NEW_RECOVERY_CODES] = new_codes
            return redirect(url_for("auth.recovery_codes"))
    user = actor()
    return render_template(
        "auth/recovery_codes.html",
        form=form,
        codes=codes,
        continue_to=continue_to,
        enrolled=user.totp_enrolled_at is not None,
        remaining=two_factor_service.unused_recovery_codes(user),
    )
