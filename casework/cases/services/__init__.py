"""Cases: what the pages read (pages), what changes a case (commands), finding one case (lookup)."""
