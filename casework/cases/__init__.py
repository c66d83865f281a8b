"""Cases: the casebook, its parties, agencies and notes."""
