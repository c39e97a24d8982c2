"""Profiles, and following their owners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from conduit.auth import CurrentUserId, ViewerId
from conduit.deps import ReadRepos, WriteRepos
from conduit.repositories import UserRepository
from conduit.schemas import ProfileBody
from stanchion.fastapi import StorableStr

router = APIRouter(prefix="/profiles", tags=["profiles"])
Username = Annotated[StorableStr, Path(max_length=100)]


@router.get("/{username}")
async def get_profile(username: Username, viewer: ViewerId, repos: ReadRepos) -> ProfileBody:
    return ProfileBody(profile=await repos.users.run(UserRepository.profile, username, viewer))


@router.post("/{username}/follow")
async def follow(username: Username, user_id: CurrentUserId, repos: WriteRepos) -> ProfileBody:
    return ProfileBody(profile=await repos.users.run(UserRepository.follow, username, user_id))


@router.delete("/{username}/follow")
async def unfollow(username: Username, user_id: CurrentUserId, repos: WriteRepos) -> ProfileBody:
    return ProfileBody(profile=await repos.users.run(UserRepository.unfollow, username, user_id))
