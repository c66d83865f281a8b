"""WTForms classes: the shape of input only. Choices come from the views."""
