"""Alembic environment. The database URL comes from the caller or from the app's config."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

import casework.schema  # noqa: F401  (importing the models fills the metadata)
from casework import db

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name)

target_metadata = db.Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    import config as app_config  # the same settings the app would use

    # Run by hand with nothing set, migrate the development database; a production
    # run names its database with DATABASE_URL.
    url = app_config.from_environment(default="development").DATABASE_URL
    if not url:
        raise RuntimeError("Set DATABASE_URL to the database to migrate")
    return url


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write the app's UTC column type as a plain DateTime, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, db.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        render_item=_render_item,
        include_object=db.not_made_by_ddl,
    )


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, render_as_batch=True, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = db.make_engine(_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one, which foreign keys from rows
            # in other tables would refuse; the keys are checked again once it is done. The
            # pragma only works outside a transaction, hence the driver's connection.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"The migration left rows whose foreign keys point nowhere: {broken[:5]}")
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
