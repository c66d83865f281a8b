"""The notifications pages: each module is one blueprint."""
