"""kaohe bot: the aiogram shell around the pure core and the storage layer."""
