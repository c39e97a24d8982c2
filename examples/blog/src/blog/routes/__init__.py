"""The blog's HTTP routes, one module per resource."""
