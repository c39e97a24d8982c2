"""The inventory service of the tutorial (docs/tutorial/)."""
