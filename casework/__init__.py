"""Casework: a shared casebook for Community Safety Partnerships."""

from pathlib import Path

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

# The layout, shared macros and error pages; each feature's blueprint brings its own templates.
TEMPLATES = Path(__file__).resolve().parent / "ui" / "templates"


def create_app(config: object | None = None) -> Flask:
    """Build the application. ``config`` defaults to the one CASEWORK_ENV names."""
    if config is None:
        import config as config_module

        config = config_module.from_environment()
    getattr(config, "validate", lambda: None)()

    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.from_object(config)
    _configure_templates(app)
    if proxies := app.config.get("TRUSTED_PROXIES", 0):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from casework import cli, errors, schema, web  # noqa: F401  (schema: every model mapped)

    _check_throttling(app)
    _init_extensions(app)
    _register_blueprints(app)
    errors.register(app)
    web.check_every_route_is_governed(app)
    app.cli.add_command(cli.casework)
    return app


def _check_throttling(app: Flask) -> None:
    """Refuse to start with a sign-in limit that cannot be read, rather than throttle
    nothing when the first failure comes."""
    from casework.accounts.services.throttle import Rate

    for name in (
        "SIGN_IN_RATE_LIMIT",
        "SIGN_IN_IP_RATE_LIMIT",
        "TWO_FACTOR_RATE_LIMIT",
        "PASSWORD_RESET_RATE_LIMIT",
        "PASSWORD_RESET_IP_RATE_LIMIT",
    ):
        try:
            Rate.parse(str(app.config[name]))
        except ValueError as error:
            raise RuntimeError(f"{name}: {error}") from None


def _configure_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(TEMPLATES)),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _init_extensions(app: Flask) -> None:
    """Logging, the database, sessions kept in it, CSRF, sign-in, the request pipeline, the SLA
    rules and the template helpers, in the order each needs the one before."""
    from casework import db, logs, session_store, web
    from casework.extensions import csrf, login_manager
    from casework.ui import templating
    from casework.victims.services import sla

    logs.configure(app)
    db.init_app(app)
    session_store.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    WTFormsHelpers(app)
    web.init_app(app)
    sla.configure(sla.SlaRules.from_config(app.config))
    templating.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from casework.accounts import views as auth
    from casework.actions import views as actions
    from casework.admin import views as admin
    from casework.cases.views import access_requests, cases
    from casework.data_protection import views as data_protection
    from casework.health import views as health
    from casework.home import views as main
    from casework.meetings import views as meetings
    from casework.notifications.views import admin as notifications_admin
    from casework.notifications.views import inbox as notifications_inbox
    from casework.notifications.views import preferences as notification_preferences
    from casework.people import views as people
    from casework.plan import views as plan
    from casework.premises.views import premises, tls_report
    from casework.referrals import views as referrals
    from casework.victims.views import sla as sla_views
    from casework.victims.views import victims

    for blueprint in (
        auth.bp,
        health.bp,
        main.bp,
        cases.bp,
        people.bp,
        victims.bp,
        admin.bp,
        sla_views.bp,
        premises.bp,
        tls_report.bp,
        actions.bp,
        meetings.bp,
        referrals.bp,
        plan.bp,
        data_protection.bp,
        notification_preferences.bp,
        notifications_inbox.bp,
        notifications_admin.bp,
        access_requests.bp,
    ):
        app.register_blueprint(blueprint)
