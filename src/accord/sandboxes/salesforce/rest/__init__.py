"""REST resources under ``/services/data/vXX.X/``."""
