"""The notifications pages' forms."""
