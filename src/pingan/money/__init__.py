"""The money chase (DESIGN §2A A6–A7, A11): cases and their links, stop-payments, freezes and returns."""
