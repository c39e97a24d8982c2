"""The stanchion reference app: a blog API (users, posts, comments, tags) on FastAPI."""
