"""The demo stage."""
