"""The audit trail: who saw or changed what, and when."""
