"""Configuration: production refuses to start unsafely, and serves secure cookies."""

import logging
import os
import secrets

import pytest
from alembic import command

import config
from casework import create_app, db
from config import DevelopmentConfig, ProductionConfig
from tests.conftest import alembic_config

STRONG_KEY = secrets.token_hex(32)


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    """What a production server's environment holds."""
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'casework.sqlite'}")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("CASEWORK_ENV", raising=False)


@pytest.fixture
def production_app(production_env):
    """An app built from the production configuration, on a migrated database (sessions
    are kept there). Building it configures logging and binds the shared session to its
    engine, so both are put back afterwards."""
    command.upgrade(alembic_config(os.environ["DATABASE_URL"]), "head")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    bind = db.session.session_factory.kw.get("bind")
    app = create_app()
    yield app
    db.session.remove()
    db.session.configure(bind=bind)
    app.extensions["casework.engine"].dispose()
    root.handlers[:], root.level = handlers, level


def test_production_is_the_default(production_env):
    assert type(config.from_environment()) is ProductionConfig


def test_migrations_run_by_hand_default_to_the_development_database(production_env, monkeypatch):
    """`alembic upgrade head` with nothing set migrates the database `make run` uses."""
    monkeypatch.delenv("CASEWORK_ENV", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "a-secret-for-this-test")
    chosen = config.from_environment(default="development")
    assert type(chosen) is DevelopmentConfig
    assert chosen.DATABASE_URL == f"sqlite:///{config.INSTANCE / 'casework.sqlite'}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("production", ProductionConfig), ("development", DevelopmentConfig), ("test", config.TestConfig)],
)
def test_casework_env_picks_the_configuration(production_env, monkeypatch, name, expected):
    monkeypatch.setenv("CASEWORK_ENV", name)
    assert type(config.from_environment()) is expected


@pytest.mark.parametrize("name", ["prod", "Production", "", "staging"])
def test_unknown_casework_env_is_refused(production_env, monkeypatch, name):
    monkeypatch.setenv("CASEWORK_ENV", name)
    with pytest.raises(RuntimeError, match="CASEWORK_ENV must be one of production, development, test"):
        create_app()


def test_production_refuses_to_start_without_a_secret_key(production_env, monkeypatch):
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_an_empty_secret_key(production_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig())


MAKE_ONE = "python -c 'import secrets; print(secrets.token_hex(32))'"


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "a-long-random-production-secret-key",
        secrets.token_hex(16),  # 16 bytes, not 32
        secrets.token_urlsafe(24),
        "change-me-to-a-long-random-value-before-deploying-0123456789",
        "your-secret-key-here-" + "0" * 50,
        "abcdefgh" * 8,
        "a" * 100,
    ],
    ids=[
        "one-character",
        "words",
        "16-bytes-hex",
        "24-bytes-base64",
        "change-me",
        "secret-key-here",
        "pattern",
        "one-letter",
    ],
)
def test_production_refuses_a_weak_secret_key_and_says_how_to_make_one(production_env, monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY") as refused:
        create_app()
    assert MAKE_ONE in str(refused.value)
    assert "32 random bytes" in str(refused.value)


@pytest.mark.parametrize(
    "make", [lambda: secrets.token_hex(32), lambda: secrets.token_urlsafe(32), lambda: secrets.token_urlsafe(64)]
)
def test_production_accepts_a_key_made_as_it_says(production_env, make):
    for _attempt in range(200):
        settings = ProductionConfig()
        settings.SECRET_KEY = make()
        settings.validate()


def test_production_refuses_to_start_without_a_database_url(production_env, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app()


def test_production_names_everything_missing_at_once(production_env, monkeypatch):
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(RuntimeError, match="SECRET_KEY and DATABASE_URL"):
        ProductionConfig().validate()


def test_production_refuses_to_run_with_debug_on(production_env, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug"):
        create_app()


def test_configuration_reads_the_environment_when_created(production_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "first")
    first = ProductionConfig()
    monkeypatch.setenv("SECRET_KEY", "second")
    assert (first.SECRET_KEY, ProductionConfig().SECRET_KEY) == ("first", "second")


def test_production_cookies_are_secure(production_env):
    settings = ProductionConfig()
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.SESSION_COOKIE_NAME.startswith("__Host-")


def test_production_app_sets_a_secure_host_only_cookie(production_app):
    assert production_app.debug is False
    assert production_app.config["WTF_CSRF_ENABLED"] is True
    response = production_app.test_client().get("/sign-in")  # the form's CSRF token starts a session
    assert response.status_code == 200
    [cookie] = response.headers.getlist("Set-Cookie")
    name, *attributes = [part.strip() for part in cookie.split(";")]
    assert name.startswith("__Host-session=")
    lowered = {attribute.split("=")[0].lower() for attribute in attributes}
    assert {"secure", "httponly", "path"} <= lowered
    assert "domain" not in lowered  # the __Host- prefix forbids it
    assert "SameSite=Lax" in attributes


def test_test_configuration_never_reads_the_production_environment(production_env):
    settings = config.TestConfig("sqlite://")
    assert settings.DATABASE_URL == "sqlite://"
    assert settings.SECRET_KEY != STRONG_KEY


def test_an_unknown_mail_backend_is_refused_at_start(production_env, monkeypatch):
    monkeypatch.setenv("NOTIFY_BACKEND", "pigeon")
    with pytest.raises(RuntimeError, match="NOTIFY_BACKEND must be one of console, smtp, notify"):
        ProductionConfig().validate()


def test_production_e_mails_need_the_https_address_they_link_to(production_env, monkeypatch):
    monkeypatch.setenv("NOTIFY_BACKEND", "smtp")
    with pytest.raises(RuntimeError, match="BASE_URL must be the https:// address"):
        ProductionConfig().validate()
    monkeypatch.setenv("BASE_URL", "https://casework.fenland.example.gov.uk")
    ProductionConfig().validate()


def test_nothing_about_mail_is_needed_to_start(production_env):
    settings = ProductionConfig()
    settings.validate()
    assert settings.NOTIFY_BACKEND == "console"
