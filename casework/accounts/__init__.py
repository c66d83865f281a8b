"""Accounts: users, signing in, passwords and the second factor."""
