"""The owners of the store's rows, one module per owner; `Transaction` (bot/store/transaction.py) holds one of
each and draws the table -> owner map."""
