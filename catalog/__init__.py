"""lakehub.catalog."""
