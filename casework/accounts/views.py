from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from casework import db
from casework.accounts.forms import (
    ChangePasswordForm,
    ForgottenPasswordForm,
    RegenerateRecoveryCodesForm,
    ResetPasswordForm,
    SignInForm,
    TwoFactorForm,
    TwoFactorSetupForm,
)
from casework.accounts.models import User
from casework.accounts.services import password_reset, throttle, users
from casework.accounts.services import two_factor as two_factor_service
from casework.clock import timestamp
from casework.exceptions import InvalidInput
from casework.ui.flow import Page, Saved, ShownOnce, submit
from casework.web import actor, local_path, start_session

bp = Blueprint("auth", __name__, template_folder="templates")

SIGN_IN_FAILED = "Enter a correct email address and password"
CODE_WRONG = "Enter the security code your authenticator app shows now, or an unused recovery code"
SIGN_IN_THROTTLED = "Too many failed attempts to sign in. Wait {minutes} minutes and try again."
CODE_THROTTLED = "Too many wrong security codes. Wait {minutes} minutes and try again."
RESET_THROTTLED = "Too many links asked for. Wait {minutes} minutes and try again."
LINK_SENT = (
    "If an account uses that address, we have sent a link to reset its password. "
    "The link works once, for 1 hour. Check your email, including any junk folder."
)

# What a half-finished sign-in keeps in the session: no signed-in user, only who
# gave a correct password, when, and where they were going.
PENDING_USER = "pending_user_id"
PENDING_MARKER = "pending_marker"
PENDING_SINCE = "pending_since"
PENDING_NEXT = "pending_next"
PENDING_SECONDS = 5 * 60
SETUP_KEY = "totp_setup"  # the new TOTP key, until a code confirms it


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("main.home")


def _limits() -> throttle.Limits:
    return throttle.Limits.from_config(current_app.config)


def _throttled(
    form: SignInForm | TwoFactorForm | ForgottenPasswordForm, field: str, message: str, template: str
) -> tuple[str, int]:
    """The form again, with the limit's message on its field: 429 Too Many Requests. What
    the refusal recorded (its audit) is kept."""
    db.session.commit()
    form[field].errors = [message]
    return render_template(template, form=form), 429


# Only failures count (in the database, so every worker counts the same ones), per
# address and client, and per client: staff of one office often share an address, and
# a busy morning of sign-ins must not lock them all out.
@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Page:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form, limits = SignInForm(), _limits()
    if form.is_submitted() and (rate := users.sign_in_throttled(request.form.get("email", ""), limits)):
        return _throttled(form, "email", SIGN_IN_THROTTLED.format(minutes=rate.minutes), "auth/sign_in.html")
    return submit(
        form,
        lambda: _password_step(form, _safe_next(request.args.get("next")), limits),
        saved=lambda to: Saved(None, to),
        page=lambda: render_template("auth/sign_in.html", form=form),
        keep_refused=True,  # a wrong password's audit, and its count, are kept
    )


def _password_step(form: SignInForm, next_page: str, limits: throttle.Limits) -> str:
    """Check the password; where to go next: the page asked for, or the second factor."""
    accepted = users.authenticate(
        form.email.data or "",
        form.password.data or "",
        require_mfa_for_all=current_app.config["REQUIRE_MFA_FOR_ALL"],
        limits=limits,
    )
    if accepted is None:
        raise InvalidInput(SIGN_IN_FAILED, field="email")
    if accepted.second_factor == "none":
        start_session(accepted.user)
        return next_page
    # The password is right, and nothing more: not signed in yet.
    session.clear()
    session[PENDING_USER] = accepted.user.id
    session[PENDING_MARKER] = users.pending_marker(accepted.user)
    session[PENDING_SINCE] = timestamp()
    session[PENDING_NEXT] = next_page
    return url_for("auth.two_factor" if accepted.second_factor == "verify" else "auth.two_factor_setup")


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


def _finish(user: User) -> str:
    """Sign the user in; the page they were going to."""
    next_page = session.get(PENDING_NEXT) or url_for("main.home")
    start_session(user)
    return _safe_next(next_page)


def _codes_throttled(user: User, limits: throttle.Limits) -> tuple[str, int] | None:
    """Wrong codes are counted per account, wherever they come from: whoever sends them
    already has its password."""
    if request.method != "POST" or (rate := two_factor_service.throttled(user, limits)) is None:
        return None
    return _throttled(TwoFactorForm(), "code", CODE_THROTTLED.format(minutes=rate.minutes), "auth/two_factor.html")


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
def two_factor() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        return _back_to_sign_in()
    if user.totp_enrolled_at is None:
        return redirect(url_for("auth.two_factor_setup"))
    limits = _limits()
    if throttled := _codes_throttled(user, limits):
        return throttled
    form = TwoFactorForm()
    return submit(
        form,
        lambda: _code_step(user, form.code.data or "", limits),
        saved=lambda done: Saved(None, done.to, notice=done.notice),
        page=lambda: render_template("auth/two_factor.html", form=form),
        keep_refused=True,  # a wrong code's audit is kept
    )


@dataclass(frozen=True)
class _SignedIn:
    to: str
    notice: str | None = None


def _code_step(user: User, code: str, limits: throttle.Limits) -> _SignedIn:
    method = two_factor_service.verify(user, code, limits=limits)
    if method is None:
        raise InvalidInput(CODE_WRONG, field="code")
    to = _finish(user)
    if method != "recovery_code":
        return _SignedIn(to)
    remaining = two_factor_service.unused_recovery_codes(user)
    return _SignedIn(
        to,
        f"You used a recovery code. You have {remaining} left: make a new set from your account if you are running out.",
    )


@bp.route("/sign-in/two-factor/setup", methods=["GET", "POST"])
def two_factor_setup() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        return _back_to_sign_in()
    if user.totp_enrolled_at is not None:
        return redirect(url_for("auth.two_factor"))
    limits = _limits()
    if throttled := _codes_throttled(user, limits):
        return throttled
    # The secret waits in the session until the user proves their app has it; only
    # then is it stored, so showing this page writes nothing.
    secret = session.get(SETUP_KEY) or two_factor_service.new_secret()
    session[SETUP_KEY] = secret
    form = TwoFactorSetupForm()

    def page() -> str:
        uri = two_factor_service.provisioning_uri(user, secret, issuer=current_app.config["TOTP_ISSUER"])
        return render_template(
            "auth/two_factor_setup.html",
            form=form,
            qr_code=two_factor_service.qr_code(uri),
            secret=two_factor_service.grouped(secret),
        )

    return submit(
        form,
        lambda: _enrol_step(user, secret, form.code.data or "", limits),
        # The recovery codes are shown in the answer to the code: they wait nowhere.
        saved=lambda done: ShownOnce(lambda: _recovery_codes_page(RegenerateRecoveryCodesForm(), *done)),
        page=page,
        keep_refused=True,  # a wrong code's audit is kept
    )


def _enrol_step(user: User, secret: str, code: str, limits: throttle.Limits) -> tuple[list[str], str]:
    """The new recovery codes, and the page the user was going to."""
    codes = two_factor_service.enrol(user, secret, code, limits=limits)
    if codes is None:
        raise InvalidInput(CODE_WRONG, field="code")
    return codes, _finish(user)


@bp.post("/sign-out")
def sign_out() -> Response:
    users.sign_out(actor())  # this session and every other of the user's end
    logout_user()
    session.clear()  # saved searches and access reasons go with the sign-in
    flash("You have signed out.", "success")
    db.session.commit()
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Page:
    form = ChangePasswordForm()

    def change() -> None:
        user = users.change_password(actor(), current=form.current_password.data or "", new=form.password.data or "")
        start_session(user)  # the token rotated: other sessions of this user have ended

    return submit(
        form,
        change,
        saved=lambda _: Saved(
            "Your password has been changed. Any other sessions have been signed out.", url_for("main.home")
        ),
        page=lambda: render_template("auth/change_password.html", form=form),
    )


def _recovery_codes_page(form: RegenerateRecoveryCodesForm, codes: list[str] | None, continue_to: str) -> str:
    user = actor()
    return render_template(
        "auth/recovery_codes.html",
        form=form,
        codes=codes,
        continue_to=continue_to,
        enrolled=user.totp_enrolled_at is not None,
        remaining=two_factor_service.unused_recovery_codes(user),
    )


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
def recovery_codes() -> Page:
    form = RegenerateRecoveryCodesForm()
    home = url_for("main.home")
    return submit(
        form,
        lambda: two_factor_service.regenerate_recovery_codes(actor(), password=form.password.data or ""),
        # Shown once, in the answer to the form: never kept in the session.
        saved=lambda codes: ShownOnce(lambda: _recovery_codes_page(form, codes, home)),
        page=lambda: _recovery_codes_page(form, None, home),
    )


# --- A forgotten password ------------------------------------------------------------


@bp.route("/sign-in/forgotten-password", methods=["GET", "POST"])
def forgotten_password() -> Page:
    """Ask for a link to reset a forgotten password. The answer is the same whether or not
    the address belongs to an active account; every request counts towards the limit."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    form, limits = ForgottenPasswordForm(), _limits()
    if form.validate_on_submit() and (rate := password_reset.throttled(form.email.data or "", limits)):
        message = RESET_THROTTLED.format(minutes=rate.minutes)
        return _throttled(form, "email", message, "auth/forgotten_password.html")
    return submit(
        form,
        lambda: password_reset.request_link(form.email.data or "", limits),
        saved=lambda _: Saved(LINK_SENT, url_for("auth.sign_in")),
        page=lambda: render_template("auth/forgotten_password.html", form=form),
    )


@bp.route("/sign-in/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Page:
    """Choose a new password with the link from the e-mail: once, within the hour."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if password_reset.usable(token) is None:
        return render_template("auth/reset_link_unusable.html", message=password_reset.LINK_UNUSABLE), 404
    form = ResetPasswordForm()
    return submit(
        form,
        lambda: password_reset.reset_password(
            token, password=form.password.data or "", again=form.password_again.data or ""
        ),
        saved=lambda _user: Saved(
            "Your password has been changed and every session of your account has ended. "
            "Sign in with your new password.",
            url_for("auth.sign_in"),
        ),
        page=lambda: render_template("auth/reset_password.html", form=form),
        check=lambda: password_reset.check_new_password(
            token,
            None if form.password.errors else form.password.data or "",
            None if form.password_again.errors else form.password_again.data or "",
        ),
    )
