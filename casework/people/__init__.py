"""People: victims, perpetrators and others named on cases."""
