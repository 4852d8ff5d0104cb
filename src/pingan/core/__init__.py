"""Core shared by every capability: jurisdictions, people, units, tasks, history, clock."""
