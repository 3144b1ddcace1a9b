"""Hash-chained consignment certificates: an RFC 9162 Merkle log, proofs, checkpoints."""
