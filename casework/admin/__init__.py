"""The administrators' pages: users, agencies and the audit trail."""
