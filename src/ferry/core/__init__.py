"""Vendor-neutral building blocks shared by every layer; imports nothing else from ferry."""
