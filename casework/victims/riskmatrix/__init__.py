"""Risk matrix versions shipped with Casework, as data files."""
