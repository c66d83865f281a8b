"""Telling people: an outbox of notifications written with the event that causes them."""
