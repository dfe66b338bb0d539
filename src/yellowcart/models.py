"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, create_all, tests)."""

from yellowcart.auth import models as auth_models
from yellowcart.catalog import models as catalog_models
from yellowcart.checkout import models as checkout_models
from yellowcart.content import models as content_models
from yellowcart.db import Base
from yellowcart.events import OutboxEvent
from yellowcart.feed import models as feed_models
from yellowcart.fulfillment import models as fulfillment_models
from yellowcart.interactions import models as interactions_models
from yellowcart.inventory import models as inventory_models
from yellowcart.orders import models as orders_models
from yellowcart.sellers import models as sellers_models

__all__ = [
    "Base",
    "OutboxEvent",
    "auth_models",
    "catalog_models",
    "checkout_models",
    "content_models",
    "feed_models",
    "fulfillment_models",
    "interactions_models",
    "inventory_models",
    "orders_models",
    "sellers_models",
]
