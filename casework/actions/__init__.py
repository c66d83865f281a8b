"""Actions: the work each agency owes, with progress and deadlines."""
