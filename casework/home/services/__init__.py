"""The home page: 'My work' for those who work on cases, the partnership's figures for
those who work with figures only."""
