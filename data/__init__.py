"""Dated, sourced tables and preset scenarios (read through costlib.catalog)."""
