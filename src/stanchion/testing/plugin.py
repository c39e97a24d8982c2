"""stanchion's pytest plugin (registered by entry point; inert unless configured)."""
