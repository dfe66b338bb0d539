"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, create_all, tests)."""

from yellowcart.audit import models as audit_models
from yellowcart.auth import models as auth_models
from yellowcart.catalog import custody_models as custody_catalog_models
from yellowcart.catalog import mode_models as catalog_mode_models
from yellowcart.catalog import models as catalog_models
from yellowcart.checkout import models as checkout_models
from yellowcart.content import models as content_models
from yellowcart.creators import models as creators_models
from yellowcart.db import Base
from yellowcart.events import OutboxEvent
from yellowcart.feed import models as feed_models
from yellowcart.fulfillment import models as fulfillment_models
from yellowcart.interactions import models as interactions_models
from yellowcart.inventory import custody_models as custody_inventory_models
from yellowcart.inventory import models as inventory_models
from yellowcart.ledger import models as ledger_models
from yellowcart.live import deal_models as live_deal_models
from yellowcart.live import room_models as live_room_models
from yellowcart.orders import models as orders_models
from yellowcart.privacy import models as privacy_models
from yellowcart.promotions import models as promotions_models
from yellowcart.redirect import models as redirect_models
from yellowcart.returns import models as returns_models
from yellowcart.risk import case_models as risk_case_models
from yellowcart.risk import signal_models as risk_signal_models
from yellowcart.sellers import models as sellers_models
from yellowcart.support import models as support_models

__all__ = [
    "Base",
    "OutboxEvent",
    "audit_models",
    "auth_models",
    "catalog_mode_models",
    "catalog_models",
    "checkout_models",
    "content_models",
    "creators_models",
    "custody_catalog_models",
    "custody_inventory_models",
    "feed_models",
    "fulfillment_models",
    "interactions_models",
    "inventory_models",
    "ledger_models",
    "live_deal_models",
    "live_room_models",
    "orders_models",
    "privacy_models",
    "promotions_models",
    "redirect_models",
    "returns_models",
    "risk_case_models",
    "risk_signal_models",
    "sellers_models",
    "support_models",
]
