"""Patrol zones (巡防片区), patrol units and their positions, the "135" reach, duty rosters (勤务)."""
