"""The premises pages and the TLS report."""
