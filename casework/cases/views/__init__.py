"""The casebook's pages: the cases themselves, and the queue of requests for access to them."""
