"""Risk assessment, case conference and quarter forms."""
