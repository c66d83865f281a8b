"""What the notifications feature does: reminders, digests and preferences."""
