"""The code under test: a small FastAPI app on stanchion (users and their posts)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from stanchion import Database
from stanchion.fastapi import UnitOfWorkDep, database_lifespan


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    posts: Mapped[list[Post]] = relationship(back_populates="author")


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author: Mapped[User] = relationship(back_populates="posts")


app = FastAPI(lifespan=database_lifespan())  # AsyncDatabase() from DATABASE_URL at startup
reports_db = Database()  # a sync Database the app builds at import, also from DATABASE_URL


@app.post("/users")
async def create_user(name: str, tx: UnitOfWorkDep) -> dict[str, object]:
    user = User(name=name)
    tx.session.add(user)
    await tx.session.flush()
    return {"id": user.id, "name": user.name}


@app.get("/users")
async def list_users(tx: UnitOfWorkDep) -> list[str]:
    return list((await tx.session.scalars(select(User.name).order_by(User.name))).all())
