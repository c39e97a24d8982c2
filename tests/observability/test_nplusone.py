"""Production N+1 detection: a sampled unit of work that lazy-loads one relationship per parent
is reported as a warning (log, metric, span event), never raised; unsampled ones cost nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from stanchion import AsyncDatabase, Database
from tests.models import SeedPost, SeedUser
from tests.observability.conftest import Telemetry, attrs, points


def _posts_of(_session: Any, user: SeedUser) -> list[SeedPost]:
    return list(user.posts)


def _seed(db: Database) -> None:
    with db.transaction() as tx:
        for n in range(3):
            tx.session.add(SeedUser(name=f"u{n}", posts=[SeedPost(title=f"p{n}")]))


def _warnings(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "stanchion.nplusone"]


def _check(telemetry: Telemetry, caplog: pytest.LogCaptureFixture) -> None:
    (warning,) = _warnings(caplog)
    assert warning["relationship"] == "SeedUser.posts" and warning["parents"] == 3
    assert warning["fix"] == "selectinload(SeedUser.posts)"
    (point,) = points(telemetry.metrics()["stanchion.nplusone.detections"])
    assert point.value == 1 and attrs(point)["stanchion.nplusone.relationship"] == (
        "SeedUser.posts"
    )
    units = [s for s in telemetry.finished() if s.name == "stanchion.transaction"]
    events = [e for s in units for e in s.events if e.name == "stanchion.nplusone"]
    assert len(events) == 1 and events[0].attributes is not None
    assert attrs(events[0])["stanchion.nplusone.parents"] == 3


def test_a_sampled_n_plus_one_is_a_warning_not_an_error(
    backend: str, observed: Any, telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="stanchion.nplusone")
    db = observed(nplusone_sample=1.0, database_options={"raise_on_lazy_load": False})
    _seed(db)
    with db.transaction(read_only=True) as tx:
        users = tx.session.scalars(select(SeedUser)).all()
        assert sorted(len(user.posts) for user in users) == [1, 1, 1]
    with db.transaction(read_only=True) as tx:  # loaded with the query: nothing to report
        query = select(SeedUser).options(selectinload(SeedUser.posts))
        assert len(tx.session.scalars(query).all()) == 3
    _check(telemetry, caplog)


@pytest.mark.anyio
async def test_an_async_sampled_n_plus_one_is_a_warning_not_an_error(
    backend: str,
    observed: Any,
    aobserved: Any,
    telemetry: Telemetry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="stanchion.nplusone")
    _seed(observed(traces=False, metrics=False))
    db: AsyncDatabase = aobserved(
        nplusone_sample=1.0, database_options={"raise_on_lazy_load": False}
    )
    async with db.transaction(read_only=True) as tx:
        users = (await tx.session.scalars(select(SeedUser))).all()
        for user in users:  # the lazy loads, run where asyncio allows their I/O
            posts = await tx.session.run_sync(_posts_of, user)
            assert len(posts) == 1
    _check(telemetry, caplog)


def test_unsampled_units_are_not_watched(
    backend: str, observed: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="stanchion.nplusone")
    db: Database = observed(nplusone_sample=0.0, database_options={"raise_on_lazy_load": False})
    _seed(db)
    with db.transaction(read_only=True) as tx:
        for user in tx.session.scalars(select(SeedUser)).all():
            assert len(user.posts) == 1
    assert _warnings(caplog) == []
