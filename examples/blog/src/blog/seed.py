"""Demo data: realistic users, posts, tags and comments, loaded in bulk with a progress bar.

Rows go in through `Repository.bulk_insert` (COPY on PostgreSQL, multi-row INSERTs elsewhere),
thousands per second, in one transaction: a failed seed leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.orm import Session

from blog.models import Comment, Post, PostTag, Tag, User
from stanchion import Database, Repository

FIRST = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Dennis",
    "Edsger",
    "Frances",
    "Grace",
    "Guido",
    "Hedy",
    "Ken",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Rasmus",
    "Shafi",
    "Sophie",
    "Tim",
    "Yukihiro",
]
LAST = [
    "Lovelace",
    "Turing",
    "Liskov",
    "Shannon",
    "Ritchie",
    "Dijkstra",
    "Allen",
    "Hopper",
    "Rossum",
    "Lamarr",
    "Thompson",
    "Torvalds",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Lerdorf",
    "Goldwasser",
    "Wilson",
    "Berners-Lee",
    "Matsumoto",
]
TOPICS = [
    "python",
    "sql",
    "postgresql",
    "mariadb",
    "sqlite",
    "fastapi",
    "asyncio",
    "testing",
    "migrations",
    "indexes",
    "performance",
    "security",
    "devops",
    "caching",
    "queues",
    "design",
    "api",
    "orm",
    "transactions",
    "locking",
]
WORDS = [
    "the",
    "a",
    "of",
    "data",
    "query",
    "index",
    "lock",
    "commit",
    "page",
    "cursor",
    "pool",
    "row",
    "table",
    "join",
    "schema",
    "fast",
    "safe",
    "simple",
    "small",
    "large",
    "server",
    "client",
    "error",
    "retry",
    "plan",
    "cost",
    "build",
    "ship",
    "learn",
]
CHUNK = 1_000


@dataclass(frozen=True)
class SeedSize:
    users: int = 200
    posts: int = 3_000
    comments_per_post: int = 3
    tags: int = len(TOPICS)


def is_empty(db: Database) -> bool:
    with db.session() as session:
        return not Repository(session, User).exists()


def seed(db: Database, size: SeedSize = SeedSize(), *, show_progress: bool = True) -> int:
    """Insert demo data; returns the number of rows written."""
    rng = random.Random(42)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    columns = [TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn()]
    with (
        Progress(*columns, TimeElapsedColumn(), disable=not show_progress) as progress,
        db.session() as session,
        session.begin(),
    ):

        def load(
            name: str, model: type[Any], rows: Callable[[], Iterator[Mapping[str, Any]]], n: int
        ) -> int:
            task = progress.add_task(name, total=n)

            def advance(done: int) -> None:  # bulk_insert reports each chunk it wrote
                progress.update(task, completed=done)

            return Repository(session, model).bulk_insert(
                rows(), chunk_size=CHUNK, progress=advance
            )

        total = load("users", User, lambda: _users(rng, size.users, now), size.users)
        user_ids = _ids(session, User)
        tag_names = TOPICS[: size.tags]
        total += load("tags", Tag, lambda: ({"name": n} for n in tag_names), len(tag_names))
        tag_ids = _ids(session, Tag)
        total += load("posts", Post, lambda: _posts(rng, size.posts, user_ids, now), size.posts)
        post_ids = _ids(session, Post)
        links = [(p, t) for p in post_ids for t in rng.sample(tag_ids, rng.randint(0, 3))]
        total += load(
            "tags/post",
            PostTag,
            lambda: ({"post_id": p, "tag_id": t} for p, t in links),
            len(links),
        )
        n_comments = size.posts * size.comments_per_post
        total += load(
            "comments",
            Comment,
            lambda: _comments(rng, n_comments, post_ids, user_ids, now),
            n_comments,
        )
    return total


def _ids(session: Session, model: type[Any]) -> list[int]:
    return list(session.execute(select(model.id).order_by(model.id)).scalars())


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def _when(rng: random.Random, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=rng.randint(0, 2 * 365 * 24 * 3600))


def _users(rng: random.Random, n: int, now: dt.datetime) -> Iterator[dict[str, Any]]:
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        when = _when(rng, now)
        yield {
            "name": f"{first} {last}",
            "email": f"{first}.{last}.{i}@example.com".lower(),
            "password_hash": "!",  # demo users cannot log in
            "role": rng.choices(["author", "moderator", "admin"], [90, 8, 2])[0],
            "is_active": rng.random() > 0.05,
            "created_at": when,
            "updated_at": when,
        }


def _posts(
    rng: random.Random, n: int, users: list[int], now: dt.datetime
) -> Iterator[dict[str, Any]]:
    for _ in range(n):
        when = _when(rng, now)
        topic = rng.choice(TOPICS)
        yield {
            "title": f"{_sentence(rng, rng.randint(2, 6))} ({topic})",
            "body": "\n\n".join(_sentence(rng, rng.randint(8, 30)) + "." for _ in range(3)),
            "published": rng.random() < 0.8,
            "views": int(rng.paretovariate(1.2) * 10),
            "author_id": rng.choice(users),
            "version": 1,
            "created_at": when,
            "updated_at": when,
        }


def _comments(
    rng: random.Random, n: int, posts: list[int], users: list[int], now: dt.datetime
) -> Iterator[dict[str, Any]]:
    for _ in range(n):
        when = _when(rng, now)
        yield {
            "body": _sentence(rng, rng.randint(3, 20)) + ".",
            "post_id": rng.choice(posts),
            "author_id": rng.choice(users),
            "created_at": when,
            "updated_at": when,
        }
