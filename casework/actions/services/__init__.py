"""Creating and progressing actions, and the lists that show them."""
