"""Testing support: the pytest plugin and query assertions."""
