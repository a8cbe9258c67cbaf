"""The rules of each feature and the statements they need, one module per feature.

Services take and return plain values, raise the exceptions of services.errors, and never
commit, roll back, abort or build a response: the view that calls them owns the transaction.
"""
