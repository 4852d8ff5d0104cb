"""The money chase: cases and their linking, stop-payments and freezes, abnormal card openings (断卡)."""
