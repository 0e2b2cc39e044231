"""Delivery: the durable inbox (what came in) and the one outbox (everything that goes out), with the
message model they carry. Imports storage only; the core and the channels build on it."""
