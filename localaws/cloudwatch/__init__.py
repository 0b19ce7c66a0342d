"""CloudWatch in the local stack: what moto's alarms leave out (their actions)."""
