"""The Shekara hub: verifies signed lane events from MQTT, stores them, serves an API."""
