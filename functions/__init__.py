"""Thin trigger adapters: parse input, call one service, map the result through one shared helper."""
