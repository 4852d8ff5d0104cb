"""Tracking (民生地网): tagged e-bikes, bracelets and livestock, seen by village base stations."""
