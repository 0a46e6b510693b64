"""The store: fanbot's only door to SQLite. `Store.open(path)` and use its parts.

Its names are imported when first used (PEP 562), so that importing one module of the
package, such as `bot.store.countdown_models`, does not load SQLite, the importer and the
pack parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what mypy and readers see; __getattr__ imports them when used
    from bot.store.content import ContentQueries as ContentQueries
    from bot.store.countdown_models import Delivery as Delivery
    from bot.store.countdown_models import DeliveryKey as DeliveryKey
    from bot.store.countdown_models import DeliveryStatus as DeliveryStatus
    from bot.store.countdown_models import PlannedDelivery as PlannedDelivery
    from bot.store.countdown_models import PlanResult as PlanResult
    from bot.store.countdown_models import Shards as Shards
    from bot.store.countdown_models import Subscription as Subscription
    from bot.store.countdown_models import SubscriptionStatus as SubscriptionStatus
    from bot.store.countdown_models import delivery_nonce as delivery_nonce
    from bot.store.db import Database as Database
    from bot.store.db import StoreError as StoreError
    from bot.store.deliveries import DeliveryQueries as DeliveryQueries
    from bot.store.guilds import GuildQueries as GuildQueries
    from bot.store.importer import RemovedPack as RemovedPack
    from bot.store.operations import OperationsQueries as OperationsQueries
    from bot.store.pack_files import PackError as PackError
    from bot.store.packs import Pack as Pack
    from bot.store.packs import load_dir as load_dir
    from bot.store.packs import load_pack as load_pack
    from bot.store.store import Store as Store

_HOMES = {
    "ContentQueries": "content",
    "Delivery": "countdown_models",
    "DeliveryKey": "countdown_models",
    "DeliveryStatus": "countdown_models",
    "PlannedDelivery": "countdown_models",
    "PlanResult": "countdown_models",
    "Shards": "countdown_models",
    "Subscription": "countdown_models",
    "SubscriptionStatus": "countdown_models",
    "delivery_nonce": "countdown_models",
    "Database": "db",
    "StoreError": "db",
    "DeliveryQueries": "deliveries",
    "GuildQueries": "guilds",
    "RemovedPack": "importer",
    "OperationsQueries": "operations",
    "Pack": "packs",
    "PackError": "pack_files",
    "load_dir": "packs",
    "load_pack": "packs",
    "Store": "store",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
