"""The partnership benchmark's cache (tests/benchmarks/partnership/cache.py): a dataset
built before a migration is brought up to date rather than built again (which takes
minutes at county size), and one from another branch's history is built again."""

import sqlalchemy as sa
from alembic import command

from tests.benchmarks.partnership import cache
from tests.benchmarks.partnership.cache import brought_up_to_date
from tests.benchmarks.partnership.common import alembic_config, alembic_head, migrate
from tests.benchmarks.partnership.dataset import SMALL


def _revision(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    engine.dispose()
    return str(revision)


def test_a_dataset_built_before_a_migration_is_migrated(tmp_path):
    url = f"sqlite:///{tmp_path / 'cached.sqlite'}"
    migrate(url)
    command.downgrade(alembic_config(url), "-1")
    previous = _revision(url)
    info: dict[str, object] = {"alembic_head": previous}

    assert brought_up_to_date(url, info)

    assert _revision(url) == alembic_head() == info["alembic_head"]
    assert info["migrations"] == [{"from": previous, "at": info["migrations"][0]["at"]}]


def test_a_dataset_at_a_revision_this_tree_does_not_know_is_built_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'cached.sqlite'}"
    migrate(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dfeedbeef'")
    engine.dispose()

    assert not brought_up_to_date(url, {"alembic_head": "f00dfeedbeef"})


def test_a_dataset_is_migrated_whatever_its_description_claims(tmp_path):
    url = f"sqlite:///{tmp_path / 'cached.sqlite'}"
    migrate(url)
    command.downgrade(alembic_config(url), "-1")
    info: dict[str, object] = {"alembic_head": alembic_head()}  # a description out of step

    assert brought_up_to_date(url, info)

    assert _revision(url) == alembic_head() == info["alembic_head"]


def test_two_named_working_copies_of_one_dataset_are_apart(tmp_path, monkeypatch):
    """`--same-data` times two copies of SMALL side by side: a write to one (accepting a
    referral) must not reach the other."""
    monkeypatch.setattr(cache, "CACHE", tmp_path)
    sqlite = cache.SqliteCache()
    source = f"sqlite:///{sqlite.directory / f'small-{cache.cache_key()}.sqlite'}"
    engine = sa.create_engine(source)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE queue (id INTEGER)")
        connection.exec_driver_sql("INSERT INTO queue VALUES (1)")
    engine.dispose()

    first, second = (sqlite.working_copy(SMALL, name=name) for name in ("small", "large"))
    engine = sa.create_engine(first)
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM queue")
    engine.dispose()

    assert first != second
    engine = sa.create_engine(second)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM queue").scalar_one() == 1
    engine.dispose()
