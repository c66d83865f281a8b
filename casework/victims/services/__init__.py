"""Risk assessments, the risk matrix, conferences and the SLA clocks and reports."""
