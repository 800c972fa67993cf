"""lakehub.quality_rules."""
