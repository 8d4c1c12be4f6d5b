"""Backprop Simulator engine: numpy and the standard library only, never Qt."""
