"""Subject access exports and retention."""
