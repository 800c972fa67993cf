"""lakehub.sample_data."""
