"""Premises: moves, incidents and visits, the register, imports and the TLS report."""
