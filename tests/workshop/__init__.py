"""Workshops: many participants in one account, the instructor's class view."""
