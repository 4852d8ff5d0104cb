"""Traffic enforcement figures (交通执法): records imported from the traffic police system, counted by type, area
and period with the same period a year before (同比)."""
