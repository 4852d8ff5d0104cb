"""Abnormal card openings (断卡, DESIGN §2 A10): operators' and banks' feeds of SIM and bank card openings, readable
rules that flag the abnormal ones, and a verification task to the holder's station for each flagged holder."""
