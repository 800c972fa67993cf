"""lakehub.lineage."""
