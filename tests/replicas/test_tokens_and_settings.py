"""What needs no replica server: token signing, position arithmetic, settings and refusals."""

from __future__ import annotations

import pytest

from stanchion import CausalityToken, ConfigurationError, Database, DatabaseSettings
from stanchion.engine.backends.replication import MariaDBReplication, PostgreSQLReplication
from stanchion.engine.causality import advance, causality_scope, current_token, usable

KEY = b"k" * 32


def test_a_signed_token_round_trips_and_any_change_is_rejected() -> None:
    token = CausalityToken("pg", "1A/2B3C")
    text = token.sign(KEY)
    assert CausalityToken.verify(text, KEY) == token
    kind, position, signature = text.split(".")
    assert CausalityToken.verify(text, b"other key") is None
    assert CausalityToken.verify(f"gtid.{position}.{signature}", KEY) is None
    assert CausalityToken.verify(f"{kind}.{position}x.{signature}", KEY) is None
    for garbage in ("", "...", "a.b", "a.b.c.d", "pg.%%%.$$$", "é.é.é", "x" * 5000):
        assert CausalityToken.verify(garbage, KEY) is None


def test_postgresql_positions_compare_as_lsns_not_as_text() -> None:
    pg = PostgreSQLReplication()
    assert pg.lag("1/0", "0/FFFFFFFF") == 1
    assert pg.lag("0/10", "0/20") == 0  # a replica ahead (a new primary) is not lagging
    assert pg.newer("0/9", "0/10") == "0/10"
    assert pg.valid("16/B374D848") and not pg.valid("16B374D848") and not pg.valid("x/1")


def test_mariadb_positions_merge_per_domain() -> None:
    maria = MariaDBReplication()
    assert maria.lag("0-1-10,1-2-5", "0-1-7") == 3 + 5
    assert maria.newer("0-1-10,1-2-5", "0-3-12") == "0-3-12,1-2-5"
    assert maria.valid("0-1-10") and not maria.valid("0-1") and not maria.valid("")


def test_a_context_keeps_the_newest_token_and_ignores_other_kinds() -> None:
    pg = PostgreSQLReplication()
    with causality_scope() as scope:
        advance(CausalityToken("pg", "0/20"), pg)
        advance(CausalityToken("pg", "0/10"), pg)  # an older write cannot move it back
        assert current_token() == CausalityToken("pg", "0/20") and scope.changed
        assert usable(CausalityToken("gtid", "0-1-1"), pg) is None
        assert usable(CausalityToken("pg", "not an lsn"), pg) is None
    assert current_token() is None


def test_replica_urls_come_from_one_comma_separated_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app:pw@db1/app")
    monkeypatch.setenv("DATABASE_REPLICA_URLS", "postgresql://app:pw@db2/app, postgresql://db3/app")
    monkeypatch.setenv("DATABASE_REPLICA_FALLBACK", "fail")
    settings = DatabaseSettings()
    assert [u.get_secret_value() for u in settings.replica_urls] == [
        "postgresql://app:pw@db2/app",
        "postgresql://db3/app",
    ]
    assert settings.replica_fallback == "fail" and "pw" not in repr(settings)
    db = Database()  # no connection is made until used
    try:
        assert len(db.replica_engines) == 2 and len(db.replicas) == 2
        assert all("pw" not in health.url for health in db.replicas)
    finally:
        db.dispose()


def test_replicas_on_a_database_without_replication_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="not supported on sqlite"):
        Database("sqlite://", replicas=["sqlite://"])
    with pytest.raises(ConfigurationError, match="is mysql"):
        Database("postgresql://db1/app", replicas=["mysql://db2/app"])
