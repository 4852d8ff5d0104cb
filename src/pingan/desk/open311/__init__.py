"""Open311 GeoReport v2 over the citizen desk: civic request clients post and follow desk requests."""
