"""Victims' risk: assessments, case conferences and the SLA clocks."""
