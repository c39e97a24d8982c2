"""The RealWorld "Conduit" API (a Medium clone) on stanchion's public API."""
