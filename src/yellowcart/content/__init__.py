"""Shoppable content: short videos and live rooms, with product anchors (the yellow cart)."""
