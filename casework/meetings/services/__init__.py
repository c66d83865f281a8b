"""Meetings and the agenda drawn from the casebook."""
