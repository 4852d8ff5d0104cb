"""The 断卡 rules: the county's settings (`county.py`, defaults in `county.toml`) and the pure detection (`detect.py`)."""
