"""The store's operations, one module per stage that needs them; `Transaction` combines them."""
