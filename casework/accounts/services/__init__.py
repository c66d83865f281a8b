"""Users, passwords and the second factor."""
