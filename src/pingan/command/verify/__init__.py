"""Verification lists pushed down (研判→推送→排查→处置→反馈): a list from an upper platform or the centre, one
task per row for the station of that person or place, and the list's progress for whoever pushed it."""
