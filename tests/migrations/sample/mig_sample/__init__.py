"""A two-table blog used to prove `stanchion db` on every backend."""
