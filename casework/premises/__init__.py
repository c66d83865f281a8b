"""Licensed premises and the traffic light system."""
