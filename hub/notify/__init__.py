"""Pre-arrival notifications: intake, amendments, and matching against what lanes see."""
