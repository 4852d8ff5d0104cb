"""Anti-fraud early warning and dissuasion (反诈预警劝阻)."""
