"""The money chase: fraud cases, their identifiers and the linking of cases that share them (串并案)."""
