"""Redirect listings (semi-closed loop): tracked clicks, store webhooks, attribution, the cutover."""
