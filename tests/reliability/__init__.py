"""Reliability suites: faults, crashes, bad input and safety."""
