"""The partnership's delivery plan: priorities, actions and milestones."""
