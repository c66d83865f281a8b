"""Data protection: subject access exports, retention and legal holds."""
