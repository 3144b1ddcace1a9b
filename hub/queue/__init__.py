"""The electronic queue: booking rules, the call order, the hash-chained journal (docs/queue.md)."""
