"""lakehub.pipelines."""
