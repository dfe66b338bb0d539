"""Fulfilment: the warehouse network, transit times, the delivery promise (carriers in ``carriers``)."""
