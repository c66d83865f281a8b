"""What every page shares: the form flow, form fields and template helpers."""
