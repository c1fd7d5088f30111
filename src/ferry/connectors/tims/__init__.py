"""TIMS connector."""
