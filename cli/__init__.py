"""lakehub.cli."""
