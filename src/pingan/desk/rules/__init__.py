"""Pure rules of the citizen desk: no database, no network, time passed in."""
