"""The victims' pages and the SLA dashboard."""
