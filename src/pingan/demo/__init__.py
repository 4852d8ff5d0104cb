"""Generated demo county, feeds and simulated officers."""
