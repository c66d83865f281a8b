"""My work: the page a user lands on."""
